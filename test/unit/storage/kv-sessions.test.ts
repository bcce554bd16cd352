// Exactly-once application (Raft thesis §6.3): a command carrying (session, seq) takes effect once
// however often it is committed, and its retries get the first result. Sessions expire by the
// leader time carried in commands, so replicas fed the same log decide identically.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../src/raft/types.js';
import { InvariantError } from '../../../src/shared/assert.js';
import { logIndex, term } from '../../../src/shared/ids.js';
import type { KvCommand } from '../../../src/storage/kv-command.js';
import type { KvStateMachine } from '../../../src/storage/kv-state-machine.js';
import type { AppliedEntry } from '../../../src/storage/kv-types.js';
import type { NodeStorage } from '../../../src/storage/node-storage.js';
import { b, bootstrap, commandEntry, dbPath, dumpTable, g1, g2, openNode, put, removeTempDirs, tempDir, text } from './helpers.js';

let node: NodeStorage;
let kv: KvStateMachine;
const ttlMs = 10_000;

function apply(command: KvCommand, machine = kv): AppliedEntry {
  const [applied] = machine.apply([commandEntry(machine.appliedIndex() + 1, command)]);
  if (applied === undefined) throw new Error('apply() returned nothing');
  return applied;
}

function sessionPut(key: string, value: string, id: string, seq: number, timeMs = 1): KvCommand {
  return put(key, value, { session: { id, seq }, timeMs, prevKv: true });
}

beforeEach(async () => {
  node = openNode(dbPath(tempDir()), { sessionTtlMs: ttlMs, sessionsMax: 3 });
  kv = (await node.openGroup(g1, bootstrap)).kv;
});

afterEach(() => {
  node.close();
  removeTempDirs();
});

describe('KvStateMachine exactly-once sessions', () => {
  it('the same (session, seq) applied twice takes effect once and returns the first result', () => {
    const first = apply(sessionPut('k', 'v', 's1', 1));
    const retry = apply(sessionPut('k', 'v', 's1', 1));
    expect(first.duplicate).toBe(false);
    expect(retry).toEqual({ index: 2, result: first.result, duplicate: true });
    expect(kv.get(b('k')).kv?.version).toBe(1);
    expect(kv.revision()).toBe(1);
    expect(kv.appliedIndex()).toBe(2);
  });

  it('a retry returns the stored result even after later writes changed the key', () => {
    apply(sessionPut('k', 'a', 's1', 1));
    const second = apply(sessionPut('k', 'b', 's1', 2));
    apply(put('k', 'c'));
    const retry = apply(sessionPut('k', 'b', 's1', 2));
    expect(retry.result).toEqual(second.result);
    expect(retry.result).toMatchObject({ prevKv: { version: 1 } });
    expect(text(kv.get(b('k')).kv?.value ?? new Uint8Array(0))).toBe('c');
  });

  it('a seq below the last applied one is refused without effect', () => {
    apply(sessionPut('k', 'a', 's1', 1));
    apply(sessionPut('k', 'b', 's1', 5));
    const stale = apply(sessionPut('k', 'stale', 's1', 3));
    expect(stale.result).toMatchObject({ type: 'error', code: 'INVALID_ARGUMENT', field: 'seq' });
    expect(kv.get(b('k')).kv?.version).toBe(2);
  });

  it('a session starts with seq 1; a later seq for an unknown session is refused', () => {
    const refused = apply(sessionPut('k', 'a', 'new', 2));
    expect(refused.result).toMatchObject({ type: 'error', field: 'session' });
    expect(kv.get(b('k')).kv).toBeNull();
  });

  it('a session idle longer than sessionTtlMs of leader time expires and its retry is refused', () => {
    apply(sessionPut('k', 'a', 's1', 1, 1_000));
    apply(put('other', 'x', { timeMs: 1_000 + ttlMs })); // exactly the ttl: still alive
    expect(dumpTable(node.db, 'session', g1)).toHaveLength(1);
    apply(put('other', 'y', { timeMs: 1_001 + ttlMs })); // one ms past it: gone
    expect(dumpTable(node.db, 'session', g1)).toHaveLength(0);
    expect(apply(sessionPut('k', 'a', 's1', 1, 1_001 + ttlMs)).duplicate).toBe(false); // seq 1 starts it over
    expect(apply(sessionPut('k', 'b', 's1', 5, 2 * ttlMs + 10_000)).result).toMatchObject({ type: 'error', field: 'session' });
  });

  it('a batch that expired a session and then rolled back leaves the session to expire at the next command', () => {
    apply(sessionPut('k', 'a', 's1', 1, 1_000));
    const expiring = commandEntry(kv.appliedIndex() + 1, put('other', 'x', { timeMs: 2_000 + ttlMs }));
    // Too short to decode: the apply throws after the first entry's expiry ran, and rolls back.
    const broken: LogEntry = { index: logIndex(kv.appliedIndex() + 2), term: term(1), type: 'confChange', data: new Uint8Array(1) };
    expect(() => kv.apply([expiring, broken])).toThrow(InvariantError);
    expect(dumpTable(node.db, 'session', g1)).toHaveLength(1);
    apply(put('other', 'y', { timeMs: 2_001 + ttlMs }));
    expect(dumpTable(node.db, 'session', g1)).toHaveLength(0);
  });

  it('a leader clock that runs backwards neither revives nor shortens sessions (group clock is a max)', () => {
    apply(sessionPut('k', 'a', 's1', 1, 50_000));
    apply(put('other', 'x', { timeMs: 5 })); // an old leader's timestamp
    expect(dumpTable(node.db, 'apply_state', g1)[0]).toMatchObject({ clock_ms: 50_000 });
    expect(apply(sessionPut('k', 'a', 's1', 1, 10)).duplicate).toBe(true);
  });

  it('past sessionsMax the least recently seen session is evicted', () => {
    for (const [i, id] of ['s1', 's2', 's3', 's4'].entries()) apply(sessionPut(`k${i}`, 'v', id, 1, 100 + i));
    const ids = dumpTable(node.db, 'session', g1).map((row) => row['id']);
    expect(ids).toEqual(['s2', 's3', 's4']);
  });

  it('two replicas fed the same log reach the same state and results', async () => {
    const other = (await node.openGroup(g2, bootstrap)).kv;
    const log: KvCommand[] = [
      sessionPut('k', 'a', 's1', 1, 1_000),
      sessionPut('k', 'a', 's1', 1, 1_001),
      put('z', 'z', { timeMs: 30_000 }),
      sessionPut('k', 'b', 's1', 2, 30_001),
    ];
    const resultsA = log.map((command) => apply(command));
    const resultsB = log.map((command) => apply(command, other));
    expect(resultsB).toEqual(resultsA);
    const strip = (rows: ReturnType<typeof dumpTable>): unknown[] => rows.map(({ group_id: _, ...rest }) => rest);
    expect(strip(dumpTable(node.db, 'kv', g2))).toEqual(strip(dumpTable(node.db, 'kv', g1)));
    expect(strip(dumpTable(node.db, 'session', g2))).toEqual(strip(dumpTable(node.db, 'session', g1)));
  });
});
