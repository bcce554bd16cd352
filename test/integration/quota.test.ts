// Goal: the space quota of issue #14 item 6, on real `raftkv serve` processes: a node with a small
// --quota-bytes accepts writes until its database reaches the quota, then raises a NOSPACE alarm and
// refuses writes that add data with RESOURCE_EXHAUSTED naming the quota, while reads and deletes
// keep working; the alarm survives a restart and, once the data is deleted, `kvctl alarm disarm`
// lets writes in again. In a cluster, one replica's NOSPACE refuses its group's writes on the
// leader too (the entry would be appended on that replica as well).
// Method: 32 KiB values until the first refusal (bounded loop); waits are bounded polls.
import { afterEach, describe, expect, it } from 'vitest';
import { status as grpcStatus } from '@grpc/grpc-js';
import type { KvStub, Message } from '../../src/client/kv-stub.js';
import { kvctl } from '../e2e/kvctl-process.js';
import { Cluster, pollUntil } from './cluster.js';
import { bytes, errorOf, get, LINEARIZABLE, onLeader, put, putRequest, scan, type CallError } from './kv-helpers.js';

const QUOTA_BYTES = 1024 * 1024;
const VALUE = 'x'.repeat(32 * 1024);
/** 32 KiB values: the quota is reached after about 32 of them; this bounds the loop. */
const WRITES_MAX = 200;

let cluster: Cluster | undefined;

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
  await cluster?.stopAll();
  cluster = undefined;
});

interface AlarmList {
  readonly nodeId: number;
  readonly quotaBytes: number;
  readonly usedBytes: number;
  readonly alarms: readonly { nodeId: number; kind: string; reason: string }[];
}

async function listAlarms(stub: KvStub): Promise<AlarmList> {
  const reply = await stub.callCluster('ListAlarms', {}, { deadlineMs: 5_000 });
  const alarms = (reply['alarms'] as Message[]).map((a) => ({ nodeId: Number(a['nodeId']), kind: String(a['kind']), reason: String(a['reason']) }));
  return { nodeId: Number(reply['nodeId']), quotaBytes: Number(reply['quotaBytes']), usedBytes: Number(reply['usedBytes']), alarms };
}

/** Puts `fill/k<i>` one at a time until a put is refused; returns the refusal and how many succeeded. */
async function fillUntilRefused(write: (key: string) => Promise<unknown>): Promise<{ error: CallError; written: number }> {
  for (let i = 0; i < WRITES_MAX; i++) {
    try {
      await write(`fill/k${i}`);
    } catch (error) {
      return { error: error as CallError, written: i };
    }
  }
  throw new Error(`${WRITES_MAX} writes of ${VALUE.length} bytes all succeeded under a quota of ${QUOTA_BYTES} bytes`);
}

const txnPut = (key: string): Message => ({ success: [{ put: { key: bytes(key), value: bytes('v') } }] });
const txnDelete = (key: string): Message => ({ success: [{ delete: { key: bytes(key) } }] });

describe('space quota', () => {
  it('refuses writes past --quota-bytes with NOSPACE; reads, deletes and disarm work; the alarm survives a restart', async () => {
    cluster = await Cluster.start({ size: 1, flags: ['--quota-bytes', String(QUOTA_BYTES)], nodes: { 1: { snapshotEntries: 20 } } });
    await cluster.waitForLeader();
    const stub = (): KvStub => cluster?.stub(1) ?? assertNever();
    const { error, written } = await fillUntilRefused((key) => put(stub(), key, VALUE));
    expect(written).toBeGreaterThan(0);
    expect(error.code).toBe('NOSPACE');
    expect(error.grpcCode).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(error.message).toContain(`quota of ${QUOTA_BYTES} bytes`);

    // Writes that add data are refused; reads and deletes are not.
    expect((await errorOf(stub().call('Txn', txnPut('other'), { deadlineMs: 5_000 }))).code).toBe('NOSPACE');
    expect((await errorOf(stub().call('BatchPut', { items: [{ key: bytes('b'), value: bytes('v') }] }, { deadlineMs: 5_000 }))).code).toBe('NOSPACE');
    expect((await get(stub(), 'fill/k0', LINEARIZABLE))?.value).toBe(VALUE);
    expect((await scan(stub(), 'fill/', LINEARIZABLE)).size).toBe(written);
    await stub().call('Txn', txnDelete('fill/k0'), { deadlineMs: 5_000 });
    for (let i = 1; i < written; i++) await stub().call('Delete', { key: bytes(`fill/k${i}`) }, { deadlineMs: 5_000 });

    const listed = await kvctl(['alarm', 'list', '-o', 'json'], { endpoints: [cluster.address(1)] });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ nodeId: 1, kind: 'NOSPACE', group: null }]);

    // Deleting freed the space (log compaction included), but the alarm stays until disarmed,
    // also across a restart.
    await pollUntil('the database to shrink under the quota', 30_000, async () => ((await listAlarms(stub())).usedBytes < QUOTA_BYTES ? true : undefined));
    await cluster.kill(1, 'SIGTERM');
    await cluster.restart(1);
    await cluster.waitForLeader();
    expect((await listAlarms(stub())).alarms.map((a) => a.kind)).toEqual(['NOSPACE']);
    expect((await errorOf(put(stub(), 'after-restart', 'v'))).code).toBe('NOSPACE');

    const disarmed = await kvctl(['alarm', 'disarm'], { endpoints: [cluster.address(1)] });
    expect(disarmed.code).toBe(0);
    expect(disarmed.stdout).toMatch(/disarmed 1/i);
    await put(stub(), 'after-disarm', 'v');
    expect((await listAlarms(stub())).alarms).toEqual([]);
  });

  it('refuses a group\'s writes on its leader when another replica of the group is out of quota', async () => {
    cluster = await Cluster.start({ size: 3, nodes: { 3: { flags: ['--quota-bytes', String(QUOTA_BYTES)] } } });
    const c = cluster;
    // The leader refuses on node 3's word, not its own: move leadership off node 3 if needed.
    if ((await c.waitForLeader()) === 3) await c.stub(3).callCluster('LeaderTransfer', { targetNodeId: '1' }, { deadlineMs: 10_000 });
    await c.waitForLeader({ not: 3 });
    // Fill until node 3 is over its quota; the leader learns its alarm within a poll or two, so
    // keep writing (bounded by time, not by a count a fast machine could outrun) until refused.
    const { written } = await fillUntilRefused(async (key) => {
      if ((await listAlarms(c.stub(3))).usedBytes >= QUOTA_BYTES) throw new Error('node 3 is over its quota');
      await onLeader(c, 'Put', putRequest(key, VALUE));
    });
    let next = written;
    const error = await pollUntil('the leader to refuse writes with NOSPACE', 30_000, async () => {
      const refused = await errorOf(onLeader(c, 'Put', putRequest(`fill/k${next++}`, VALUE))).catch(() => undefined);
      return refused?.code === 'NOSPACE' ? refused : undefined;
    });
    expect(error.grpcCode).toBe(grpcStatus.RESOURCE_EXHAUSTED);
    expect(error.message).toContain('node 3');
    expect(error.message).toContain(`quota of ${QUOTA_BYTES} bytes`);
    // Deletes still go through the leader; every node's list names node 3's alarm.
    await onLeader(c, 'Delete', { key: bytes('fill/k0') });
    for (const id of c.ids()) {
      const list = await pollUntil(`node ${id} to learn node 3's alarm`, 20_000, async () => {
        const l = await listAlarms(c.stub(id));
        return l.alarms.length > 0 ? l : undefined;
      });
      expect(list.alarms).toMatchObject([{ nodeId: 3, kind: 'NOSPACE' }]);
    }
  });
});

function assertNever(): never {
  throw new Error('the cluster is not running');
}
