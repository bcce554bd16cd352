// Goal: silent corruption of one replica is caught and never served (issue #14 item 5). Method: a
// real 3-node cluster checks replica hashes every second (--hash-check-interval-ms 1000). We stop a
// follower, flip one bit of one key's value in its SQLite file (SQLite notices nothing), restart
// it, and then keep reading the key through it: every linearizable read must be refused or return
// the true value, the node must raise a CORRUPT alarm for the group within a few check intervals,
// `kvctl check hash` must show its differing hash, and the other replicas keep serving the truth.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/shared/errors.js';
import { flipValueByte } from '../support/byte-flip.js';
import { kvctl } from '../e2e/kvctl-process.js';
import { Cluster, pollUntil } from './cluster.js';
import { bytes, get, LINEARIZABLE, onLeader, putRequest } from './kv-helpers.js';

const checkIntervalMs = 1_000;
/** Generous for a loaded machine: the check itself runs every second. */
const detectTimeoutMs = 60_000;

describe('consistency check', () => {
  let cluster: Cluster | undefined;
  const c = (): Cluster => {
    if (cluster === undefined) throw new Error('cluster did not start');
    return cluster;
  };
  beforeAll(async () => {
    cluster = await Cluster.start({ size: 3, flags: ['--hash-check-interval-ms', String(checkIntervalMs)] });
    await cluster.waitForLeader();
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') cluster?.markFailed();
  });
  afterAll(async () => cluster?.stopAll());

  it('refuses reads through a replica whose value bytes were flipped and raises CORRUPT', async () => {
    for (let i = 0; i < 20; i++) await onLeader(c(), 'Put', putRequest(`flip/k${i}`, `value-${i}-abcdef`));
    const leader = await c().waitForLeader();
    const victim = c().followersOf(leader)[0];
    if (victim === undefined) throw new Error('no follower');
    await c().kill(victim, 'SIGTERM');
    flipValueByte(join(c().dataDir(victim), 'raftkv.db'), bytes('flip/k7'), bytes('value-7-abcdef'));
    await c().restart(victim);

    // Every linearizable read through the victim is either refused or the true value.
    const wrongValues: (string | undefined)[] = [];
    await pollUntil(`node ${victim} to refuse reads with CORRUPT`, detectTimeoutMs, async () => {
      try {
        const read = await get(c().stub(victim), 'flip/k7', LINEARIZABLE, 2_000);
        if (read?.value !== 'value-7-abcdef') wrongValues.push(read?.value);
        return undefined;
      } catch (error) {
        if (!(error instanceof KvError)) throw error;
        return error.code === 'CORRUPT' ? true : undefined;
      }
    });
    expect(wrongValues).toEqual([]);
    const refused = await get(c().stub(victim), 'flip/k1', LINEARIZABLE, 2_000).then(() => null, (error: unknown) => error);
    expect(refused instanceof KvError ? refused.code : refused).toBe('CORRUPT');
    expect(c().logText(victim)).toContain('CORRUPT');

    // The healthy replicas serve the true value.
    for (const id of c().followersOf(victim).filter((id) => id !== victim)) {
      expect((await get(c().stub(id), 'flip/k7', LINEARIZABLE))?.value).toBe('value-7-abcdef');
    }

    // kvctl check hash shows the victim's hash differing at the same index.
    const shown = await kvctl(['check', 'hash', '--output', 'json'], { endpoints: c().ids().map((id) => c().address(id)) });
    expect(shown.code, shown.stderr).toBe(1);
    const report = JSON.parse(shown.stdout) as { healthy: boolean; groups: { group: number; replicas: { node: number; index: number; hash: string; health: string; match: boolean }[] }[] };
    expect(report.healthy).toBe(false);
    const replicas = report.groups.find((g) => g.group === 0)?.replicas ?? [];
    const mine = replicas.find((r) => r.node === victim);
    const others = replicas.filter((r) => r.node !== victim);
    expect(mine).toMatchObject({ health: 'corrupt', match: false });
    expect(others).toHaveLength(2);
    for (const other of others) expect(other).toMatchObject({ health: 'ok', match: true, index: mine?.index });
    for (const other of others) expect(other.hash).not.toBe(mine?.hash);

    // Made leader, the corrupt replica hands leadership to a healthy one: the group keeps serving.
    const current = await c().waitForLeader();
    await c().stub(current).callCluster('LeaderTransfer', { groupId: '0', targetNodeId: String(victim) }, { deadlineMs: 5_000 }).catch(() => undefined);
    const healthyLeader = await pollUntil('a healthy leader after the handoff', detectTimeoutMs, async () => {
      const leader = await c().waitForLeader();
      return leader === victim ? undefined : leader;
    });
    await onLeader(c(), 'Put', putRequest('flip/after', 'ok'));
    expect((await get(c().stub(healthyLeader), 'flip/k7', LINEARIZABLE))?.value).toBe('value-7-abcdef');
    expect(c().logText(victim)).toContain('corrupt replica hands leadership over');
  });
});
