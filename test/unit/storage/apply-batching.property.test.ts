// Goal: applying a group's log is deterministic whatever the batches: two replicas fed the same
// entries, cut into batches at different places, give the same result for every entry and end
// with the same rows (keys, sessions, applied state, and the children their splits gave birth to).
// Raft needs this of every state machine; a check that read the group's range as of the last
// batch instead of as of the entry broke it once (split, then a write of a moved key, in one
// batch on one replica and in two on another).
// Method: seeded random logs of puts, deletes, batch puts, txns with compares, session writes
// and splits over a small key space; replica A applies them in random batches, replica B one
// entry at a time; the results and the tables of every group involved must be equal.
// A second log of session traffic around a short ttl checks that expiry and eviction fall on the
// same entries however the batches fall (the state machine skips its expiry DELETE when no
// session can be old enough), and that after every entry no session idle past the ttl is left.
import { afterEach, describe, expect, it } from 'vitest';
import { founderState } from '../../../src/raft/bootstrap.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { groupId, nodeId, type GroupId } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import type { RingBounds } from '../../../src/storage/apply-state.js';
import type { KvCommand } from '../../../src/storage/kv-command.js';
import type { KvStateMachine } from '../../../src/storage/kv-state-machine.js';
import type { AppliedEntry } from '../../../src/storage/kv-types.js';
import { NodeStorage } from '../../../src/storage/node-storage.js';
import { b, commandEntry, dbPath, dumpTable, kvOptions, removeTempDirs, tempDir } from './helpers.js';

const ringPosition = (key: Uint8Array): number => (key[0] ?? 0) * 2 ** 40;
const RANGE: RingBounds = { start: ringPosition(b('a')), end: ringPosition(b('z')) + 1 };
const PARENT = groupId(1);
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function randomKey(rng: SeededRng): Uint8Array {
  return b(`${LETTERS[rng.nextInt(LETTERS.length)] ?? 'a'}${rng.nextInt(4)}`);
}

/** A random command; splits cut at a random letter and name the next child group. */
function randomCommand(rng: SeededRng, timeMs: number, nextChild: () => number, session: () => KvCommand['session']): KvCommand {
  const roll = rng.nextInt(100);
  const key = randomKey(rng);
  if (roll < 8) return { type: 'split', child: nextChild(), mid: ringPosition(b(LETTERS[1 + rng.nextInt(24)] ?? 'm')), timeMs };
  if (roll < 45) return { type: 'put', key, value: b(`v${timeMs}`), timeMs, ...withSession(session()) };
  if (roll < 60) return { type: 'delete', key, timeMs };
  if (roll < 75) return { type: 'batchPut', items: [{ key, value: b('x') }, { key: b(`${text(key)}-2`), value: b('y') }], timeMs };
  return {
    type: 'txn', timeMs,
    compares: [{ key, target: 'version', op: '>', number: 0 }],
    success: [{ type: 'put', key, value: b('t') }, { type: 'get', key: randomKey(rng) }],
    failure: [{ type: 'delete', key }],
  };
}

function withSession(session: KvCommand['session']): Pick<KvCommand, 'session'> {
  return session === undefined ? {} : { session };
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

function randomLog(seed: number, length: number): KvCommand[] {
  const rng = new SeededRng(seed);
  let child = 1;
  let seq = 0;
  return Array.from({ length }, (_, i) => randomCommand(rng, 1_000 + i, () => ++child, () => (rng.nextInt(3) === 0 ? { id: 's1', seq: ++seq } : undefined)));
}

/**
 * Few sessions, retries, restarts at seq 1 and an old leader's clock; steps of a few ms against a
 * short ttl, so commands often land exactly at, or one ms past, a session's expiry.
 */
const SESSION_OPTIONS = { sessionTtlMs: 50, sessionsMax: 3 };

function randomSessionLog(seed: number, length: number): KvCommand[] {
  const rng = new SeededRng(seed);
  const seqs = [0, 0, 0, 0];
  let clockMs = 1_000;
  return Array.from({ length }, (): KvCommand => {
    const gapRoll = rng.nextInt(10);
    clockMs += gapRoll === 0 ? 30 + rng.nextInt(40) : rng.nextInt(4);
    const timeMs = gapRoll === 1 ? Math.max(0, clockMs - rng.nextInt(80)) : clockMs; // a stale leader's clock
    const client = rng.nextInt(seqs.length);
    const roll = rng.nextInt(10);
    const last = seqs[client] ?? 0;
    const seq = roll < 6 ? last + 1 : roll < 8 ? Math.max(last, 1) : 1;
    seqs[client] = Math.max(last, seq);
    const command = { type: 'put' as const, key: randomKey(rng), value: b(`v${timeMs}`), prevKv: rng.nextInt(2) === 0, timeMs };
    return roll === 9 ? command : { ...command, session: { id: `c${client}`, seq } };
  });
}

async function replica(options = kvOptions): Promise<{ node: NodeStorage; kv: KvStateMachine }> {
  const node = NodeStorage.open({ path: dbPath(tempDir()), kv: { ...options, ringPosition } });
  const kv = (await node.openGroup(PARENT, founderState([nodeId(1), nodeId(2), nodeId(3)]), RANGE)).kv;
  return { node, kv };
}

/** Everything a replica keeps for the groups of this log, keyed by table and group. */
function tables(node: NodeStorage, groups: readonly GroupId[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const group of groups) {
    for (const table of ['kv', 'session', 'apply_state'] as const) out[`${table}/${group}`] = dumpTable(node.db, table, group);
  }
  return out;
}

/** Applies `entries` in batches of 1 to 12 entries, cut where the seed says. */
function applyInRandomBatches(kv: KvStateMachine, entries: readonly LogEntry[], seed: number): AppliedEntry[] {
  const rng = new SeededRng(seed * 7919);
  const applied: AppliedEntry[] = [];
  for (let i = 0; i < entries.length;) {
    const size = 1 + rng.nextInt(12);
    applied.push(...kv.apply(entries.slice(i, i + size)));
    i += size;
  }
  return applied;
}

const open: NodeStorage[] = [];
afterEach(() => {
  for (const node of open.splice(0)) node.close();
  removeTempDirs();
});

describe('applying a log in different batches', () => {
  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('gives the same results and rows, seed %i', async (seed) => {
    const log = randomLog(seed, 120);
    const entries = log.map((command, i) => commandEntry(i + 2, command)); // the founders' snapshot is index 1
    const [a, one] = [await replica(), await replica()];
    open.push(a.node, one.node);
    const batched = applyInRandomBatches(a.kv, entries, seed);
    const single = entries.flatMap((e) => one.kv.apply([e]));
    expect(batched, `seed ${seed}`).toEqual(single);
    const groups = [PARENT, ...log.flatMap((c) => (c.type === 'split' ? [groupId(c.child)] : []))];
    expect(tables(a.node, groups), `seed ${seed}`).toEqual(tables(one.node, groups));
    expect(log.some((c) => c.type === 'split') && single.some((r) => r.result.type === 'error' && r.result.code === 'WRONG_SHARD'), `seed ${seed} exercises a refused key`).toBe(true);
  });
});

describe('applying session traffic in different batches', () => {
  it.each(Array.from({ length: 30 }, (_, i) => i + 1))('expires and evicts the same sessions at the same entries, seed %i', async (seed) => {
    const entries = randomSessionLog(seed, 150).map((command, i) => commandEntry(i + 2, command));
    const [a, one] = [await replica(SESSION_OPTIONS), await replica(SESSION_OPTIONS)];
    open.push(a.node, one.node);
    const batched = applyInRandomBatches(a.kv, entries, seed);
    let expired = 0;
    const single = entries.flatMap((e) => {
      const before = dumpTable(one.node.db, 'session', PARENT).length;
      const results = one.kv.apply([e]);
      // Expiry runs before every command: no session idle past the ttl outlives an entry.
      const clockMs = Number(dumpTable(one.node.db, 'apply_state', PARENT)[0]?.['clock_ms']);
      const sessions = dumpTable(one.node.db, 'session', PARENT);
      expect(sessions.filter((row) => Number(row['last_seen_ms']) < clockMs - SESSION_OPTIONS.sessionTtlMs), `seed ${seed}`).toEqual([]);
      if (sessions.length < before) expired += 1;
      return results;
    });
    expect(batched, `seed ${seed}`).toEqual(single);
    expect(tables(a.node, [PARENT]), `seed ${seed}`).toEqual(tables(one.node, [PARENT]));
    expect(expired, `seed ${seed} exercises expiry`).toBeGreaterThan(0);
  });
});
