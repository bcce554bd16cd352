// Goal: the SDK against a real local 3-node cluster: it finds the leader from NOT_LEADER hints,
// re-routes after a leadership transfer with exactly one NOT_LEADER, pages through a large range,
// keeps concurrent exactly-once writes apart on separate sessions, and reports a write on a leader
// that cannot commit as OutcomeUnknownError within its deadline. Method: one cluster with a 2 s
// election timeout (so SIGSTOPping both followers leaves the leader in office but unable to
// commit), `onAttemptFailed` to observe each failed attempt, partition test last.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, KvError, OutcomeUnknownError, type AttemptFailure, type KvClient } from '../../src/client/kv-client.js';
import { Cluster } from '../integration/cluster.js';

let cluster: Cluster | undefined;
const clients: KvClient[] = [];

function live(): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

/** A client over `endpoints` that records every failed attempt into `failures`. */
function client(endpoints: readonly string[], failures: AttemptFailure[] = [], options: { sessionId?: false; sessionsMax?: number } = {}): KvClient {
  const c = createClient({ endpoints, onAttemptFailed: (f) => failures.push(f), ...options });
  clients.push(c);
  return c;
}

function allEndpoints(): string[] {
  return live().ids().map((id) => live().address(id));
}

function summary(failures: readonly AttemptFailure[]): string[] {
  return failures.map((f) => `${f.endpoint} ${f.error instanceof KvError ? f.error.code : 'error'} ${f.action}`);
}

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3, electionTicks: 100 });
  await cluster.waitForLeader();
});
afterEach((context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stopAll();
});

describe('KvClient against a 3-node cluster', () => {
  it('put() on a follower listed first follows its NOT_LEADER hint once, then goes to the leader directly', async () => {
    const c = live();
    const leader = await c.waitForLeader();
    const followers = c.followersOf(leader);
    const failures: AttemptFailure[] = [];
    const kv = client([...followers.map((id) => c.address(id)), c.address(leader)], failures);
    const put = await kv.put('sdk/route', '1');
    expect(put.header.nodeId).toBe(leader);
    expect(summary(failures)).toEqual([`${c.address(followers[0] ?? 0)} NOT_LEADER redirect`]);
    expect(kv.leader()).toMatchObject({ leaderId: leader, address: c.address(leader) });
    await kv.put('sdk/route', '2');
    expect(failures).toHaveLength(1);
    expect((await kv.get('sdk/route'))?.text()).toBe('2');
  });

  it('after a leadership transfer the next write reaches the new leader after exactly one NOT_LEADER', async () => {
    const c = live();
    const leader = await c.waitForLeader();
    const failures: AttemptFailure[] = [];
    const kv = client(allEndpoints(), failures);
    await kv.put('sdk/transfer', 'before');
    expect(kv.leader()?.leaderId).toBe(leader);
    failures.length = 0;
    const target = c.followersOf(leader)[0] ?? 0;
    const admin = client(allEndpoints());
    expect(await admin.leaderTransfer(target)).toMatchObject({ leaderId: target });
    const put = await kv.put('sdk/transfer', 'after');
    expect(put.header.nodeId).toBe(target);
    expect(summary(failures)).toEqual([`${c.address(leader)} NOT_LEADER redirect`]);
    expect(kv.leader()).toMatchObject({ leaderId: target, address: c.address(target) });
  });

  it('range() pages through 3000 keys in order with small pages, honouring limit and keysOnly', async () => {
    const kv = client(allEndpoints());
    const keys = Array.from({ length: 3_000 }, (_, i) => `sdk/page/${String(i).padStart(5, '0')}`);
    for (let i = 0; i < keys.length; i += 1_000) await kv.batch(keys.slice(i, i + 1_000).map((key) => ({ key, value: `v-${key}` })));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of kv.range({ prefix: 'sdk/page/' }, { pageSize: 97 }).pages()) {
      pages++;
      expect(page.count).toBe(3_000);
      for (const item of page.kvs) {
        expect(item.text()).toBe(`v-${item.keyText()}`);
        seen.push(item.keyText());
      }
    }
    expect(seen).toEqual(keys);
    expect(pages).toBe(Math.ceil(3_000 / 97));
    const limited = await kv.range({ start: 'sdk/page/01000', end: 'sdk/page/02000' }, { limit: 250, pageSize: 60, keysOnly: true, consistency: 'serializable' }).toArray();
    expect(limited.map((item) => item.keyText())).toEqual(keys.slice(1_000, 1_250));
    expect(limited.every((item) => item.value.byteLength === 0)).toBe(true);
  });

  it('concurrent writes on a pool of 4 sessions all apply, and counters move by exactly one each', async () => {
    const kv = client(allEndpoints(), [], { sessionsMax: 4 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => kv.put(`sdk/concurrent/${i}`, String(i))));
    expect(await kv.range({ prefix: 'sdk/concurrent/' }).toArray()).toHaveLength(40);
    const increment = async (): Promise<void> => {
      for (;;) {
        const current = await kv.get('sdk/counter');
        const next = String(Number(current?.text() ?? '0') + 1);
        try {
          await kv.cas('sdk/counter', current === null ? null : current.value, next);
          return;
        } catch (error) {
          if (!(error instanceof KvError) || error.code !== 'CAS_MISMATCH') throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, increment));
    expect((await kv.get('sdk/counter'))?.text()).toBe('10');
  });

  it('cas() on a changed value throws CAS_MISMATCH with the current version', async () => {
    const kv = client(allEndpoints());
    await kv.put('sdk/cas', 'a');
    await kv.put('sdk/cas', 'b');
    await expect(kv.cas('sdk/cas', 'a', 'c')).rejects.toMatchObject({ code: 'CAS_MISMATCH', details: { currentVersion: 2 } });
    await expect(kv.cas('sdk/cas-absent', 'a', 'c')).rejects.toMatchObject({ code: 'CAS_MISMATCH', details: { currentVersion: 0 } });
  });

  it('a write to a leader whose followers are stopped fails as OutcomeUnknownError by its deadline', async () => {
    const c = live();
    const leader = await c.waitForLeader();
    const withSession = client([c.address(leader)]);
    const withoutSession = client([c.address(leader)], [], { sessionId: false });
    await Promise.all([withSession.put('sdk/warm', '1'), withoutSession.put('sdk/warm', '2')]);
    const followers = c.followersOf(leader);
    for (const id of followers) c.pause(id);
    try {
      const started = performance.now();
      const outcomes = await Promise.allSettled([
        withSession.put('sdk/partitioned/a', '1', { deadlineMs: 500 }),
        withoutSession.put('sdk/partitioned/b', '1', { deadlineMs: 500 }),
      ]);
      const elapsedMs = performance.now() - started;
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        const reason: unknown = outcome.status === 'rejected' ? outcome.reason : undefined;
        expect(reason).toBeInstanceOf(OutcomeUnknownError);
        expect(reason).toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/^Cannot tell whether the put of key "sdk\/partitioned\/[ab]" applied: its deadline of 500 ms passed/) });
      }
      expect(elapsedMs).toBeGreaterThanOrEqual(450);
      // Not retried past the deadline (with slack for a loaded machine).
      expect(elapsedMs).toBeLessThan(3_000);
    } finally {
      for (const id of followers) c.resume(id);
    }
    await c.waitForLeader();
    const after = await client(allEndpoints()).get('sdk/partitioned/a');
    expect([null, '1']).toContain(after === null ? null : after.text());
  });
});
