// Goal: every documented limit of the Kv API, sent to a real `raftkv serve` over a real socket,
// answers the documented status (code, gRPC status, kv-field) with a message naming the limit, and
// the node keeps serving afterwards. Method: single-node clusters where no quorum is needed (one with
// defaults, one with --request-bytes-max 256 KiB); a 3-node cluster with --pending-proposals-max 5
// and a 2 s election timeout for leader hints, deadlines and back-pressure, where SIGSTOPping both
// followers leaves the leader in office but unable to commit.
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KvStub, Message } from '../../src/client/kv-stub.js';
import { Cluster, pollUntil } from './cluster.js';
import { bytes, errorOf, field, get, LINEARIZABLE, num, onLeader, put, putRequest, text, type CallError } from './kv-helpers.js';

const requestBytesMaxSmall = 256 * 1024;
let single: Cluster | undefined;
let small: Cluster | undefined;
let trio: Cluster | undefined;

function started(cluster: Cluster | undefined): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

beforeAll(async () => {
  [single, small, trio] = await Promise.all([
    Cluster.start({ size: 1 }),
    Cluster.start({ size: 1, flags: ['--request-bytes-max', String(requestBytesMaxSmall)] }),
    Cluster.start({ size: 3, electionTicks: 100, flags: ['--pending-proposals-max', '5'] }),
  ]);
  await Promise.all([single.waitForLeader(), small.waitForLeader(), trio.waitForLeader()]).catch((error: unknown) => {
    for (const cluster of [single, small, trio]) cluster?.markFailed();
    throw error;
  });
});
afterEach((context) => {
  if (context.task.result?.state !== 'fail') return;
  for (const cluster of [single, small, trio]) cluster?.markFailed();
});
afterAll(async () => {
  await Promise.all([single, small, trio].map((cluster) => cluster?.stopAll()));
});

let probe = 0;
/** A normal Put then a linearizable Get of the same key still work. */
async function expectServing(stub: KvStub): Promise<void> {
  const key = `serving/${probe++}`;
  await put(stub, key, 'ok');
  expect((await get(stub, key, LINEARIZABLE))?.value).toBe('ok');
}

function expectInvalid(error: CallError, kvField: string, ...inMessage: string[]): void {
  expect(error.code).toBe('INVALID_ARGUMENT');
  expect(error.grpcCode).toBe(status.INVALID_ARGUMENT);
  expect(error.details.field).toBe(kvField);
  for (const part of inMessage) expect(error.message).toContain(part);
}

const call = (stub: KvStub, method: 'Put' | 'Get' | 'Delete' | 'Range' | 'Txn' | 'BatchPut', request: Message) =>
  errorOf(stub.call(method, request, { deadlineMs: 5_000 }));

describe('Kv service limits on a single node', () => {
  const stub = (): KvStub => started(single).stub(1);

  it('rejects an empty key in Put, Get and Delete as INVALID_ARGUMENT on kv-field key', async () => {
    for (const method of ['Put', 'Get', 'Delete'] as const) {
      expectInvalid(await call(stub(), method, { key: Buffer.alloc(0), value: bytes('v') }), 'key', 'key is empty');
    }
    await expectServing(stub());
  });

  it('rejects a key over 4096 bytes and accepts one of exactly 4096', async () => {
    expectInvalid(await call(stub(), 'Put', { key: Buffer.alloc(4097, 'k'), value: bytes('v') }), 'key', '4097', '4096');
    await stub().call('Put', { key: Buffer.alloc(4096, 'k'), value: bytes('v') }, { deadlineMs: 5_000 });
    await expectServing(stub());
  });

  it('rejects a value over 1 MiB and accepts one of exactly 1 MiB', async () => {
    const mib = 1024 * 1024;
    expectInvalid(await call(stub(), 'Put', { key: bytes('big'), value: Buffer.alloc(mib + 1) }), 'value', String(mib + 1), String(mib));
    await stub().call('Put', { key: bytes('big'), value: Buffer.alloc(mib) }, { deadlineMs: 5_000 });
    await expectServing(stub());
  });

  it('rejects a txn with more than 128 compares or 128 ops in a branch', async () => {
    const compare = { key: bytes('t'), target: 'VERSION', op: 'EQUAL', number: '0' };
    const op = (i: number) => ({ put: { key: bytes(`t${i}`), value: bytes('v') } });
    expectInvalid(await call(stub(), 'Txn', { compares: Array.from({ length: 129 }, () => compare) }), 'compares', '129', '128');
    expectInvalid(await call(stub(), 'Txn', { success: Array.from({ length: 129 }, (_, i) => op(i)) }), 'success', '129', '128');
    expectInvalid(await call(stub(), 'Txn', { failure: Array.from({ length: 129 }, (_, i) => op(i)) }), 'failure', '129', '128');
    const atLimit = await stub().call('Txn', { compares: Array.from({ length: 128 }, () => compare), success: Array.from({ length: 128 }, (_, i) => op(i)) }, { deadlineMs: 5_000 });
    expect(field(atLimit, 'succeeded')).toBe(true);
    await expectServing(stub());
  });

  it('rejects a BatchPut with more than 1000 items, or none', async () => {
    const items = Array.from({ length: 1001 }, (_, i) => ({ key: bytes(`b/${i}`), value: bytes('v') }));
    expectInvalid(await call(stub(), 'BatchPut', { items }), 'items', '1001', '1000');
    expectInvalid(await call(stub(), 'BatchPut', { items: [] }), 'items', 'empty');
    await stub().call('BatchPut', { items: items.slice(0, 1000) }, { deadlineMs: 5_000 });
    await expectServing(stub());
  });

  it('pages a Range by limit, clamps a limit over 10000, and rejects bad bounds', async () => {
    const keys = Array.from({ length: 15 }, (_, i) => `range/k${String(i).padStart(2, '0')}`);
    await stub().call('BatchPut', { items: keys.map((k) => ({ key: bytes(k), value: bytes(k) })) }, { deadlineMs: 5_000 });
    const range = (request: Message) => stub().call('Range', { start: bytes('range/'), prefix: true, ...request }, { deadlineMs: 5_000 });
    const keysOf = (m: Message): string[] => (field(m, 'kvs') as unknown[]).map((kv) => text(field(kv, 'key')));
    const seen: string[] = [];
    let pageToken: unknown = Buffer.alloc(0);
    for (let page = 0; page < 4; page++) {
      const response = await range({ limit: 4, pageToken });
      expect(num(response, 'count')).toBe(15);
      expect(field(response, 'more')).toBe(page < 3);
      seen.push(...keysOf(response));
      pageToken = field(response, 'nextPageToken');
    }
    expect(seen).toEqual(keys);
    expect((pageToken as Uint8Array).byteLength).toBe(0);
    for (const limit of [0, 20_000]) expect(keysOf(await range({ limit }))).toEqual(keys);
    const countOnly = await range({ countOnly: true });
    expect([keysOf(countOnly), num(countOnly, 'count')]).toEqual([[], 15]);
    const keysOnly = await range({ keysOnly: true, limit: 1 });
    expect(text(field((field(keysOnly, 'kvs') as unknown[])[0], 'value'))).toBe('');
    const bounded = await stub().call('Range', { start: bytes('range/k03'), end: bytes('range/k07') }, { deadlineMs: 5_000 });
    expect(keysOf(bounded)).toEqual(keys.slice(3, 7));
    expectInvalid(await call(stub(), 'Range', { start: bytes('range/k07'), end: bytes('range/k03') }), 'end', 'end is not after start');
    expectInvalid(await call(stub(), 'Range', { start: bytes('range/'), end: bytes('range/z'), prefix: true }), 'end', 'prefix');
    expectInvalid(await call(stub(), 'Range', {}), 'start', 'start is empty');
    // A bare key is not a page token (tokens name their range: src/shard/page-token.ts).
    expectInvalid(await call(stub(), 'Range', { start: bytes('range/'), prefix: true, pageToken: bytes('range/k03') }), 'pageToken', 'page_token is malformed');
    await expectServing(stub());
  });

  it('rejects a malformed session: seq without sessionId, sessionId without seq, an id over 128 bytes', async () => {
    expectInvalid(await call(stub(), 'Put', putRequest('s', 'v', { seq: 3 })), 'sessionId', 'sessionId is empty');
    expectInvalid(await call(stub(), 'Put', putRequest('s', 'v', { sessionId: 'abc' })), 'seq', 'seq of 1 or more');
    expectInvalid(await call(stub(), 'Put', putRequest('s', 'v', { sessionId: 'x'.repeat(129), seq: 1 })), 'session', '129', '128');
    await expectServing(stub());
  });

  it('rejects a Compare with an unspecified or unknown target or op', async () => {
    const txn = (compare: Message): Message => ({ compares: [{ key: bytes('c'), number: '0', ...compare }] });
    expectInvalid(await call(stub(), 'Txn', txn({ target: 'TARGET_UNSPECIFIED', op: 'EQUAL' })), 'compares[0].target', 'VALUE, VERSION');
    expectInvalid(await call(stub(), 'Txn', txn({ target: 99, op: 'EQUAL' })), 'compares[0].target', 'VALUE, VERSION');
    expectInvalid(await call(stub(), 'Txn', txn({ target: 'VERSION', op: 'OP_UNSPECIFIED' })), 'compares[0].op', 'EQUAL, NOT_EQUAL');
    await expectServing(stub());
  });

  it('rejects an unknown read consistency, and a lease read on a node without --lease-reads', async () => {
    expectInvalid(await call(stub(), 'Get', { key: bytes('k'), consistency: 7 }), 'consistency', 'unknown consistency');
    expectInvalid(await call(stub(), 'Get', { key: bytes('k'), consistency: 'READ_CONSISTENCY_LEASE' }), 'consistency', '--lease-reads');
    await expectServing(stub());
  });

  it('rejects a Compare whose operand does not fit its target', async () => {
    const compare = (target: string, operand: Message): Message => ({ compares: [{ key: bytes('c'), target, op: 'EQUAL', ...operand }] });
    expectInvalid(await call(stub(), 'Txn', compare('VERSION', { value: bytes('1') })), 'compares[0].number', 'number');
    expectInvalid(await call(stub(), 'Txn', compare('VALUE', { number: '1' })), 'compares[0].value', 'value');
    await expectServing(stub());
  });
});

describe('Kv service request size limit (--request-bytes-max 256 KiB)', () => {
  it('rejects a request over requestBytesMax as INVALID_ARGUMENT naming the limit', async () => {
    const stub = started(small).stub(1);
    const error = await call(stub, 'Put', { key: bytes('k'), value: Buffer.alloc(requestBytesMaxSmall + 1) });
    expectInvalid(error, 'request', 'requestBytesMax', String(requestBytesMaxSmall));
    const batch = Array.from({ length: 5 }, (_, i) => ({ key: bytes(`k${i}`), value: Buffer.alloc(64 * 1024) }));
    expectInvalid(await call(stub, 'BatchPut', { items: batch }), 'request', 'requestBytesMax');
    await expectServing(stub);
  });
});

describe('Kv service on a 3-node cluster', () => {
  it('answers a write to a follower with UNAVAILABLE, NOT_LEADER and the leader hint', async () => {
    const c = started(trio);
    const leader = await c.waitForLeader();
    for (const follower of c.followersOf(leader)) {
      const error = await errorOf(put(c.stub(follower), 'hint', 'v'));
      expect(error.code).toBe('NOT_LEADER');
      expect(error.grpcCode).toBe(status.UNAVAILABLE);
      expect(error.details).toMatchObject({ group: 0, leaderId: leader, leaderAddr: c.address(leader) });
      expect(error.details.term).toBeGreaterThan(0);
    }
    await expectServing(c.stub(leader));
  });

  it('honours a 300 ms deadline on a leader that lost its quorum with DEADLINE_EXCEEDED', async () => {
    const c = started(trio);
    const leader = await c.waitForLeader();
    const followers = c.followersOf(leader);
    for (const id of followers) c.pause(id);
    try {
      const sentAt = performance.now();
      const errors = await Promise.all(Array.from({ length: 5 }, (_, i) => errorOf(put(c.stub(leader), `deadline/${i}`, 'v', 300))));
      const elapsedMs = performance.now() - sentAt;
      for (const error of errors) {
        expect(error.code).toBe('TIMEOUT');
        expect(error.grpcCode).toBe(status.DEADLINE_EXCEEDED);
      }
      expect(elapsedMs).toBeGreaterThanOrEqual(280);
      expect(elapsedMs).toBeLessThan(1_500);
      // The server dropped those 5 waiters when their deadline passed: with pendingProposalsMax 5,
      // new writes are accepted (and time out) instead of being refused as OVERLOADED.
      await pollUntil('the leader to accept writes again', 3_000, async () => {
        const next = await Promise.all(Array.from({ length: 5 }, (_, i) => errorOf(put(c.stub(leader), `deadline/again${i}`, 'v', 300))));
        return next.every((e) => e.code === 'TIMEOUT') ? true : undefined;
      });
    } finally {
      for (const id of followers) c.resume(id);
    }
    await onLeader(c, 'Put', putRequest('deadline/after', 'ok'));
  });

  it('refuses writes past pendingProposalsMax with RESOURCE_EXHAUSTED naming the limit', async () => {
    const c = started(trio);
    const leader = await c.waitForLeader();
    const followers = c.followersOf(leader);
    for (const id of followers) c.pause(id);
    let settled = 0;
    const writes = Array.from({ length: 10 }, (_, i) => put(c.stub(leader), `overload/${i}`, 'v', 3_000)
      .then(() => 'ok' as const, (error: CallError) => error)
      .finally(() => settled++));
    try {
      // Nothing can commit, so the only early answers are the refusals.
      await pollUntil('the refused writes to be answered', 3_000, () => Promise.resolve(settled >= 5 ? true : undefined));
    } finally {
      for (const id of followers) c.resume(id);
    }
    const outcomes = await Promise.all(writes);
    const overloaded = outcomes.filter((o): o is CallError => o !== 'ok' && o.code === 'OVERLOADED');
    expect(overloaded.length).toBe(5);
    for (const error of overloaded) {
      expect(error.grpcCode).toBe(status.RESOURCE_EXHAUSTED);
      expect(error.message).toContain('pendingProposalsMax');
    }
    // The five it accepted commit once the followers are back (or, after a leader change, fail cleanly).
    for (const o of outcomes.filter((x) => x === 'ok' || x.code !== 'OVERLOADED')) {
      expect(o === 'ok' ? 'ok' : o.code).toMatch(/^(ok|TIMEOUT|NOT_LEADER)$/);
    }
    await expectServing(c.stub(await c.waitForLeader()));
  });
});
