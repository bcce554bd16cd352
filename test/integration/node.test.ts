// Goal: prove the "done when" of a durable node (issue #3) with real `raftkv serve` processes, real
// sockets and real data dirs: linearizable service, leader crash, follower catch-up by log and by
// snapshot, atomic recovery after kill -9, exactly-once session retries, graceful SIGTERM.
// Method: one 3-node cluster for the log-replication tests (each test leaves all three nodes up
// with an agreed leader) and one whose nodes compact every 20 entries for the snapshot test.
// Waits are bounded polls of the Status RPC; the concurrent history goes through the Jepsen checker.
import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/shared/rng.js';
import { checkHistory } from '../jepsen/checker/linearizability.js';
import { parseHistory } from '../jepsen/checker/history.js';
import { Cluster, pollUntil } from './cluster.js';
import { useCluster } from './use-cluster.js';
import { errorText, HistoryRecorder, writeOutcome } from './history-recorder.js';
import {
  bytes, errorOf, field, forEachLimit, get, getSettled, LINEARIZABLE, num, onLeader, put, putRequest, revisionOf, scan, SERIALIZABLE,
} from './kv-helpers.js';

const catchUpTimeoutMs = 30_000;

/** Waits until node `id` has applied at least `index`; returns its final status. */
async function appliedTo(cluster: Cluster, id: number, index: number) {
  return pollUntil(`node ${id} to apply index ${index}`, catchUpTimeoutMs, async () => {
    const status = await cluster.status(id);
    return status.appliedIndex >= index ? status : undefined;
  });
}

/** Writes `count` keys `${prefix}k<i>` = `v<i>` through the leader, 8 at a time. */
async function writeKeys(cluster: Cluster, prefix: string, count: number): Promise<void> {
  await forEachLimit(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    await onLeader(cluster, 'Put', putRequest(`${prefix}k${i}`, `v${i}`));
  });
}

function expectKeys(seen: ReadonlyMap<string, string>, prefix: string, count: number): void {
  expect(seen.size).toBe(count);
  for (let i = 0; i < count; i++) expect(seen.get(`${prefix}k${i}`)).toBe(`v${i}`);
}

/** The `msg` lines of a node's JSON log, parsed. */
function logLines(cluster: Cluster, id: number, msg: string): Record<string, unknown>[] {
  return cluster.logText(id).split('\n').filter((line) => line.includes(`"msg":"${msg}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('raftkv serve, 3-node cluster', () => {
  const live = useCluster({ size: 3 });

  it('serves leader writes and linearizable reads through any node as a linearizable history', async () => {
    const c = live();
    const seed = Date.now();
    const rng = new SeededRng(seed);
    const recorder = new HistoryRecorder();
    let leader = await c.waitForLeader();
    let followerReads = 0;
    const client = async (): Promise<void> => {
      let p = recorder.newProcess();
      for (let i = 0; i < 25; i++) {
        const key = `lin/k${rng.nextInt(3)}`;
        if (rng.nextFloat() < 0.5) {
          const value = `${p}-${i}`;
          recorder.invoke(p, 'write', key, value);
          try {
            await put(c.stub(leader), key, value);
            recorder.complete(p, 'ok', 'write', key);
          } catch (error) {
            const outcome = writeOutcome(error);
            recorder.complete(p, outcome, 'write', key, { error: errorText(error) });
            if (outcome === 'info') p = recorder.newProcess();
            leader = await c.waitForLeader(); // Leadership may move on a loaded machine; follow it.
          }
        } else {
          const node = c.ids()[rng.nextInt(c.ids().length)] ?? leader;
          recorder.invoke(p, 'read', key, null);
          try {
            const value = (await get(c.stub(node), key, LINEARIZABLE))?.value ?? null;
            recorder.complete(p, 'ok', 'read', key, { value });
            if (node !== leader) followerReads++;
          } catch (error) {
            recorder.complete(p, 'fail', 'read', key, { error: errorText(error) });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 5 }, client));
    const ops = parseHistory(recorder.jsonl());
    const result = checkHistory(ops);
    expect(result.failures, `seed ${seed}; history:\n${recorder.jsonl()}`).toEqual([]);
    expect(result.valid).toBe(true);
    const ok = (f: string): number => ops.filter((op) => op.f === f && op.outcome === 'ok').length;
    expect([ok('write'), ok('read')].every((n) => n >= 20), `ok writes ${ok('write')}, ok reads ${ok('read')}`).toBe(true);
    expect(followerReads).toBeGreaterThan(0);
  });

  it('replaces a SIGKILLed leader with one that serves every acknowledged write', async () => {
    const c = live();
    const acked = new Map<string, string>();
    await Promise.all([0, 1, 2, 3].map(async (w) => {
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < 5; k++) {
          const key = `kill/w${w}/k${k}`;
          await onLeader(c, 'Put', putRequest(key, `r${round}`));
          acked.set(key, `r${round}`);
        }
      }
    }));
    const leader = await c.waitForLeader();
    const exit = await c.kill(leader, 'SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const next = await c.waitForLeader({ not: leader });
    expect(next).not.toBe(leader);
    for (const [key, value] of acked) expect((await getSettled(c, next, key, LINEARIZABLE))?.value, key).toBe(value);
    await c.restart(leader);
    await c.waitForLeader();
  });

  it('lets a paused follower that missed 200 writes catch up by log', async () => {
    const c = live();
    const [follower] = c.followersOf(await c.waitForLeader());
    if (follower === undefined) throw new Error('No follower');
    c.pause(follower);
    try {
      await writeKeys(c, 'log/', 200);
    } finally {
      c.resume(follower);
    }
    const target = (await c.status(await c.waitForLeader())).commitIndex;
    const status = await appliedTo(c, follower, target);
    expect(status.appliedIndex).toBeLessThanOrEqual(status.commitIndex);
    expectKeys(await scan(c.stub(follower), 'log/', SERIALIZABLE), 'log/', 200);
    expect(logLines(c, follower, 'received snapshot')).toEqual([]);
  });

  it('restarts a follower SIGKILLed during a BatchPut burst with applied <= commit and no partial batch', async () => {
    const c = live();
    const [victim] = c.followersOf(await c.waitForLeader());
    if (victim === undefined) throw new Error('No follower');
    const batches = 40;
    let acked = 0;
    let ackedAfterKill = 0;
    let killed: Promise<unknown> | undefined;
    await forEachLimit(Array.from({ length: batches }, (_, b) => b), 4, async (b) => {
      const items = Array.from({ length: 50 }, (_, k) => ({ key: bytes(`burst/b${b}/k${k}`), value: bytes(`b${b}`) }));
      await onLeader(c, 'BatchPut', { items }, 10_000);
      acked++;
      if (killed !== undefined) ackedAfterKill++;
      if (acked === 8) killed = c.kill(victim, 'SIGKILL');
    });
    await killed;
    expect(ackedAfterKill).toBeGreaterThan(0);
    // Recover from its own disk only: with the others frozen it cannot catch up meanwhile.
    const others = c.liveIds();
    for (const id of others) c.pause(id);
    try {
      await c.restart(victim);
      const status = await c.status(victim);
      expect(status.appliedIndex).toBeLessThanOrEqual(status.commitIndex);
      const perBatch = new Map<string, number>();
      for (const [key, value] of await scan(c.stub(victim), 'burst/', SERIALIZABLE)) {
        const batch = key.split('/')[1] ?? '';
        expect(value).toBe(batch);
        perBatch.set(batch, (perBatch.get(batch) ?? 0) + 1);
      }
      for (const [batch, count] of perBatch) expect(count, `keys of ${batch} visible after restart`).toBe(50);
    } finally {
      for (const id of others) c.resume(id);
    }
    const target = (await c.status(await c.waitForLeader())).commitIndex;
    await appliedTo(c, victim, target);
    expect((await scan(c.stub(victim), 'burst/', SERIALIZABLE)).size).toBe(batches * 50);
  });

  it('applies a write retried with the same session id and seq once', async () => {
    const c = live();
    const sessionId = `it-session-${Date.now()}`;
    // The same Put sent twice at once: one entry applies, the other answers from the session table.
    const duplicate = putRequest('session/a', 'x', { sessionId, seq: 1 });
    const [first, second] = await Promise.all([onLeader(c, 'Put', duplicate), onLeader(c, 'Put', duplicate)]);
    expect(revisionOf(second)).toBe(revisionOf(first));
    expect((await getSettled(c, await c.waitForLeader(), 'session/a', LINEARIZABLE))?.version).toBe(1);
    // A compare-and-put increment from 0 to 1, retried after it applied: a second apply would fail
    // its compare; the retry must instead return the stored success.
    const increment = {
      compares: [{ key: bytes('session/ctr'), target: 'VERSION', op: 'EQUAL', number: '0' }],
      success: [{ put: { key: bytes('session/ctr'), value: bytes('1') } }],
      sessionId, seq: 2,
    };
    const applied = await onLeader(c, 'Txn', increment);
    const retried = await onLeader(c, 'Txn', increment);
    expect([field(applied, 'succeeded'), field(retried, 'succeeded')]).toEqual([true, true]);
    expect(revisionOf(retried)).toBe(revisionOf(applied));
    // A seq older than the session's last applied one is refused, not applied.
    const stale = await errorOf(onLeader(c, 'Put', putRequest('session/a', 'y', { sessionId, seq: 1 })));
    expect([stale.code, stale.details.field]).toEqual(['INVALID_ARGUMENT', 'seq']);
    const leader = await c.waitForLeader();
    const ctr = await getSettled(c, leader, 'session/ctr', LINEARIZABLE);
    expect(ctr).toMatchObject({ value: '1', version: 1, modRevision: revisionOf(applied) });
    // Every replica applied it once too: a follower's own state shows version 1.
    const follower = c.followersOf(leader)[0] ?? leader;
    await appliedTo(c, follower, (await c.status(leader)).commitIndex);
    expect((await get(c.stub(follower), 'session/ctr', SERIALIZABLE))?.version).toBe(1);
  });

  it('stops a node on SIGTERM with exit code 0 and restarts it with its data', async () => {
    const c = live();
    await onLeader(c, 'Put', putRequest('term/k', 'before'));
    const target = await c.waitForLeader();
    await pollUntil(`node ${target} to apply the write`, catchUpTimeoutMs, async () =>
      ((await get(c.stub(target), 'term/k', SERIALIZABLE))?.value === 'before' ? true : undefined));
    const before = await c.status(target);
    const signalledAt = performance.now();
    const exit = await c.kill(target, 'SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    // Well inside the 5 s grace: nothing was in flight, so nothing should wait it out.
    expect(performance.now() - signalledAt).toBeLessThan(3_000);
    expect(logLines(c, target, 'stopped').length).toBeGreaterThan(0);
    const others = c.liveIds();
    await c.waitForLeader({ among: others, not: target });
    for (const id of others) c.pause(id);
    try {
      await c.restart(target);
      const recovered = logLines(c, target, 'opened group').at(-1);
      expect(num(recovered, 'applied')).toBeGreaterThanOrEqual(before.appliedIndex);
      expect((await get(c.stub(target), 'term/k', SERIALIZABLE))?.value).toBe('before');
    } finally {
      for (const id of others) c.resume(id);
    }
    await c.waitForLeader();
  });
});

describe('raftkv serve, 3-node cluster compacting every 20 entries', () => {
  const compacting = { snapshotEntries: 20 };
  const live = useCluster({ size: 3, nodes: { 1: compacting, 2: compacting, 3: compacting } });

  it('lets a follower restarted after the log was compacted past it catch up by snapshot', async () => {
    const c = live();
    const leader = await c.waitForLeader();
    const [victim] = c.followersOf(leader);
    if (victim === undefined) throw new Error('No follower');
    await c.kill(victim, 'SIGKILL');
    // No writes are in flight, so the victim's log ends at or before the leader's commit index.
    const victimLastIndex = (await c.status(leader)).commitIndex;
    await writeKeys(c, 'snap/', 150);
    const [survivor, third] = c.liveIds();
    if (survivor === undefined || third === undefined) throw new Error('Need two live nodes');
    for (const id of [survivor, third]) {
      await pollUntil(`node ${id} to compact past the stopped follower`, catchUpTimeoutMs, () => Promise.resolve(
        logLines(c, id, 'compacted log').some((line) => num(line, 'index') > victimLastIndex + 1) ? true : undefined));
    }
    // A leader's transport keeps queueing appends for a dead peer and replays them on reconnect,
    // which would catch the victim up by log. Restart the others with empty queues: the one that
    // leads then holds only a compacted log and must send a snapshot.
    await c.kill(survivor, 'SIGKILL');
    await c.kill(third, 'SIGKILL');
    await Promise.all([c.restart(survivor), c.restart(victim)]);
    expect(await c.waitForLeader({ among: [survivor, victim] })).toBe(survivor);
    const status = await appliedTo(c, victim, (await c.status(survivor)).commitIndex);
    expect(status.appliedIndex).toBeLessThanOrEqual(status.commitIndex);
    expect(logLines(c, victim, 'received snapshot').length).toBeGreaterThan(0);
    // A new leader's commit index can trail its log until an entry of its term commits (seen
    // once: the victim had caught up to it with 144 of the 150 keys), so wait for all of them.
    const keys = await pollUntil('the victim to hold all 150 keys', catchUpTimeoutMs, async () => {
      const seen = await scan(c.stub(victim), 'snap/', SERIALIZABLE);
      return seen.size === 150 ? seen : undefined;
    });
    expectKeys(keys, 'snap/', 150);
    await c.restart(third);
    await c.waitForLeader();
  });
});
