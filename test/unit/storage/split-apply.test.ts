/**
 * Goal: a split entry (src/storage/split-apply.ts, applied through KvStateMachine.apply) carves the
 * upper part of a group's ring range out as a new group on this node, exactly once: the parent
 * keeps [start, mid) and the keys below mid; the child is born at index 1 / term 1 with the
 * parent's membership, revision and clock, the moved keys unchanged, a file-less snapshot row and a
 * hard state; duplicates and out-of-range splits change nothing; a child that already has state of
 * its own only makes the parent drop the keys; and afterwards the parent answers WRONG_SHARD for
 * moved keys, except to a retried command whose session result it already holds.
 * Method: a real SQLite NodeStorage on a temp file; group 1 is a founder with the ring range
 * ['b', 'y') under a test ring position of "first byte * 2^40" (so a key's first letter decides
 * its side of mid = 'm'); entries are applied as the driver would, then rows are read back raw.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { founderState, joinerState } from '../../../src/raft/bootstrap.js';
import { groupId, nodeId } from '../../../src/shared/ids.js';
import type { RingBounds } from '../../../src/storage/apply-state.js';
import type { KvCommand, SplitCommand } from '../../../src/storage/kv-command.js';
import type { KvStateMachine } from '../../../src/storage/kv-state-machine.js';
import type { AppliedEntry, CommandResult } from '../../../src/storage/kv-types.js';
import { NodeStorage } from '../../../src/storage/node-storage.js';
import { applySplit } from '../../../src/storage/split-apply.js';
import { confToText, type SqlRow } from '../../../src/storage/sql-row.js';
import { b, commandEntry, dbPath, dumpTable, g1, g2, kvOptions, openNode, put, removeTempDirs, tempDir, text } from './helpers.js';

/** A key's ring position in these tests: its first byte, scaled to the 2^48 ring. */
const ringPosition = (key: Uint8Array): number => (key[0] ?? 0) * 2 ** 40;
const at = (letter: string): number => ringPosition(b(letter));
const RANGE: RingBounds = { start: at('b'), end: at('y') };
const MID = at('m');
const founder = founderState([nodeId(1), nodeId(2), nodeId(3)], [], { 1: 'h1:7000', 2: 'h2:7000', 3: 'h3:7000' });
const KEPT = ['b1', 'c1', 'l9'];
const MOVED = ['m0', 'm1', 'q1', 'x9'];

let node: NodeStorage;
let parent: KvStateMachine;
let next: number;

function apply(group: KvStateMachine, ...commands: KvCommand[]): AppliedEntry[] {
  return group.apply(commands.map((command) => commandEntry(next++, command)));
}

function split(mid = MID, child = 2): KvCommand {
  const command: SplitCommand = { type: 'split', child, mid };
  return { ...command, timeMs: 5 };
}

function results(entries: readonly AppliedEntry[]): CommandResult[] {
  return entries.map((e) => e.result);
}

/** Rows of a group's table without the group column, keys as text. */
function rows(table: 'kv' | 'session' | 'apply_state', group = g1): SqlRow[] {
  return dumpTable(node.db, table, group).map(({ group_id: _, ...rest }) => ('key' in rest ? { ...rest, key: text(rest['key'] as Uint8Array), value: text(rest['value'] as Uint8Array) } : rest));
}

function keys(group = g1): string[] {
  return rows('kv', group).map((row) => String(row['key']));
}

function row(sql: string, group = g2): SqlRow | undefined {
  return node.db.statement(sql).get(group);
}

beforeEach(async () => {
  node = NodeStorage.open({ path: dbPath(tempDir()), kv: { ...kvOptions, ringPosition } });
  parent = (await node.openGroup(g1, founder, RANGE)).kv;
  next = 2; // the founders' snapshot is at index 1
  // Several writes, so versions and revisions differ from key to key; one under a session.
  apply(parent, put('b1', 'v'), put('m0', 'v'), put('q1', 'v'), put('q1', 'v2', { timeMs: 30 }), put('c1', 'v'), put('l9', 'v'), put('x9', 'v'));
  apply(parent, put('m1', 's', { session: { id: 's1', seq: 1 }, timeMs: 40 }));
});

afterEach(() => {
  node.close();
  removeTempDirs();
});

describe('split entry: the parent', () => {
  it('keeps [start, mid) and exactly the keys below mid', () => {
    const [result] = results(apply(parent, split()));
    expect(result).toEqual({ type: 'split', revision: 8, child: 2, born: true });
    expect(parent.descriptor()).toEqual({ start: RANGE.start, end: MID });
    expect(keys()).toEqual(KEPT);
    expect(rows('apply_state')).toEqual([{ applied: 10, conf: confToText(founder.snapshot.conf), revision: 8, clock_ms: 40, range_start: RANGE.start, range_end: MID }]);
    expect(parent.revision()).toBe(8); // a split is not a write
  });

  it('answers WRONG_SHARD for puts, deletes and txn reads of moved keys, and serves kept keys', () => {
    apply(parent, split());
    expect([parent.owns(b('q1')), parent.owns(b('m0')), parent.owns(b('l9'))]).toEqual([false, false, true]);
    const refused = results(apply(parent,
      put('q1', 'again'),
      { type: 'delete', key: b('m0'), timeMs: 6 },
      { type: 'txn', compares: [], success: [{ type: 'get', key: b('x9') }], failure: [], timeMs: 6 },
      { type: 'batchPut', items: [{ key: b('c1'), value: b('x') }, { key: b('m5'), value: b('x') }], timeMs: 6 },
    ));
    for (const result of refused) {
      expect(result).toMatchObject({ type: 'error', code: 'WRONG_SHARD', field: null });
      expect(result.type === 'error' ? result.message : '').toBe(`Cannot apply command: a key is outside group 1's ring range [${RANGE.start}, ${MID}) since a split; refresh the shard map`);
    }
    expect(parent.revision()).toBe(8);
    expect(keys()).toEqual(KEPT); // the half-foreign batchPut wrote nothing
    expect(results(apply(parent, put('c1', 'new')))).toEqual([{ type: 'put', revision: 9, prevKv: null }]);
  });

  it('decides the same whether the split and a write of a moved key apply in one batch or two', async () => {
    // Regression: ownership was checked against the range as of the last batch, so a replica that
    // applied [split, put] in one batch wrote the key while one that applied them apart refused it
    // (found by the sharded fault test: keys reported refused were readable afterwards).
    const other = (await node.openGroup(g2, founder, RANGE)).kv;
    const saved = next;
    next = 2;
    apply(other, put('b1', 'v'), put('m0', 'v'), put('q1', 'v'), put('q1', 'v2', { timeMs: 30 }), put('c1', 'v'), put('l9', 'v'), put('x9', 'v'));
    apply(other, put('m1', 's', { session: { id: 's1', seq: 1 }, timeMs: 40 }));
    next = saved;
    const together = results(apply(other, split(MID, 3), put('q7', 'late')));
    next = saved;
    const apart = [...results(apply(parent, split(MID, 4))), ...results(apply(parent, put('q7', 'late')))];
    expect(together[1]).toMatchObject({ type: 'error', code: 'WRONG_SHARD' });
    expect(apart[1]).toMatchObject({ type: 'error', code: 'WRONG_SHARD' });
    expect(other.owns(b('q7'))).toBe(false);
    expect(keys(g2)).toEqual(KEPT);
  });

  it('returns the stored result to a retried command that applied before the split, not WRONG_SHARD', () => {
    const original = put('m1', 's', { session: { id: 's1', seq: 1 }, timeMs: 40 });
    apply(parent, split());
    const [retry] = apply(parent, original);
    expect(retry).toMatchObject({ duplicate: true, result: { type: 'put', revision: 8, prevKv: null } });
    // The session's next command on a moved key is refused as a foreign key.
    const [nextSeq] = apply(parent, put('m1', 't', { session: { id: 's1', seq: 2 }, timeMs: 41 }));
    expect(nextSeq?.result).toMatchObject({ type: 'error', code: 'WRONG_SHARD' });
  });
});

describe('split entry: the child it gives birth to', () => {
  it('is born at index 1 with the parent\'s membership, revision, clock and the upper range', () => {
    apply(parent, split());
    expect(rows('apply_state', g2)).toEqual([{ applied: 1, conf: confToText(founder.snapshot.conf), revision: 8, clock_ms: 40, range_start: MID, range_end: RANGE.end }]);
    expect(row('SELECT idx, term, conf, file FROM snapshot WHERE group_id = ?')).toEqual({ idx: 1, term: 1, conf: confToText(founder.snapshot.conf), file: '' });
    expect(row('SELECT term, vote, commit_index FROM hard_state WHERE group_id = ?')).toEqual({ term: 1, vote: null, commit_index: 1 });
    expect(row('SELECT COUNT(*) AS n FROM raft_log WHERE group_id = ?')).toEqual({ n: 0 });
    expect(rows('session', g2)).toEqual([]); // sessions stay with the parent
  });

  it('holds the moved keys with their versions and revisions unchanged', () => {
    const before = rows('kv').filter((r) => MOVED.includes(String(r['key'])));
    expect(before.map((r) => r['version'])).toEqual([1, 1, 2, 1]); // q1 was written twice
    apply(parent, split());
    expect(rows('kv', g2)).toEqual(before);
  });

  it('opens on this node as the server opens it (joiner state) and serves its keys', async () => {
    apply(parent, split());
    const child = await node.openGroup(g2, joinerState());
    expect(child.kv.appliedIndex()).toBe(1);
    expect(child.kv.descriptor()).toEqual({ start: MID, end: RANGE.end });
    expect(child.kv.confState()).toEqual(founder.snapshot.conf);
    expect(child.kv.revision()).toBe(8);
    expect(child.log.snapshotMeta()).toEqual({ index: 1, term: 1, conf: founder.snapshot.conf });
    expect(child.log.snapshotFileName()).toBeNull();
    expect(child.log.hardState()).toEqual({ term: 1, vote: null, commit: 1 });
    expect(child.kv.get(b('q1')).kv).toMatchObject({ version: 2, createRevision: 3, modRevision: 4 });
    expect([child.kv.owns(b('q1')), child.kv.owns(b('l9')), child.kv.owns(b('y0'))]).toEqual([true, false, false]);
    // The child takes writes from index 2 on, continuing the parent's revision.
    next = 2;
    expect(results(apply(child.kv, put('r1', 'v')))).toEqual([{ type: 'put', revision: 9, prevKv: null }]);
  });

  it('keeps the term and vote of an empty replica a message created, and clears its stray rows', () => {
    node.db.transaction(() => {
      node.db.statement('INSERT INTO hard_state (group_id, term, vote, commit_index) VALUES (?, 3, 2, 0)').run(g2);
      node.db.statement('INSERT INTO kv (group_id, key, value, create_revision, mod_revision, version) VALUES (?, ?, ?, 1, 1, 1)').run(g2, b('zz'), b('stray'));
    });
    const [result] = results(apply(parent, split()));
    expect(result).toMatchObject({ type: 'split', born: true });
    expect(row('SELECT term, vote, commit_index FROM hard_state WHERE group_id = ?')).toEqual({ term: 3, vote: 2, commit_index: 1 });
    expect(keys(g2)).toEqual(MOVED);
  });
});

describe('split entry: when it changes nothing, or only the parent', () => {
  it('a second identical split is a no-op', () => {
    apply(parent, split());
    const parentState = { kv: rows('kv'), apply: rows('apply_state') };
    const childState = { kv: rows('kv', g2), apply: rows('apply_state', g2) };
    const [again] = results(apply(parent, split()));
    expect(again).toEqual({ type: 'split', revision: 8, child: 2, born: false });
    expect(rows('kv', g2)).toEqual(childState.kv);
    expect(rows('apply_state', g2)).toEqual(childState.apply);
    expect(rows('kv')).toEqual(parentState.kv);
    expect(rows('apply_state')).toEqual(parentState.apply.map((r) => ({ ...r, applied: 11 })));
  });

  it.each([
    ['at the range start', RANGE.start],
    ['below the range', at('a')],
    ['at the range end', RANGE.end],
    ['above the range', at('z')],
  ])('a split with mid %s is a no-op', (_name, mid) => {
    const before = rows('kv');
    const [result] = results(apply(parent, split(mid)));
    expect(result).toEqual({ type: 'split', revision: 8, child: 2, born: false });
    expect(parent.descriptor()).toEqual(RANGE);
    expect(rows('kv')).toEqual(before);
    expect(rows('apply_state', g2)).toEqual([]);
    expect(row('SELECT 1 AS x FROM snapshot WHERE group_id = ?')).toBeUndefined();
  });

  it('when the child already applied entries here, only deletes the moved keys from the parent', async () => {
    // The child's leader (on a node that split earlier) caught this replica up first.
    const child = (await node.openGroup(g2, founder, { start: MID, end: RANGE.end })).kv;
    const parentNext = next;
    next = 2;
    apply(child, put('r1', 'newer'), put('q1', 'newer'));
    next = parentNext;
    const childBefore = { kv: rows('kv', g2), apply: rows('apply_state', g2), snapshot: row('SELECT * FROM snapshot WHERE group_id = ?') };
    const [result] = results(apply(parent, split()));
    expect(result).toEqual({ type: 'split', revision: 8, child: 2, born: false });
    expect(keys()).toEqual(KEPT);
    expect(parent.descriptor()).toEqual({ start: RANGE.start, end: MID });
    expect({ kv: rows('kv', g2), apply: rows('apply_state', g2), snapshot: row('SELECT * FROM snapshot WHERE group_id = ?') }).toEqual(childBefore);
    expect(keys(g2)).toEqual(['q1', 'r1']);
  });

  it('when a snapshot for the child is being received here, only deletes the moved keys from the parent', () => {
    node.db.transaction(() => node.db.statement(
      "INSERT INTO snapshot_staging (group_id, idx, term, conf, file, bytes, done, installing) VALUES (?, 7, 2, ?, 'g2-i7-t2.recv', 10, 0, 0)",
    ).run(g2, confToText(founder.snapshot.conf)));
    const [result] = results(apply(parent, split()));
    expect(result).toMatchObject({ type: 'split', born: false });
    expect(keys()).toEqual(KEPT);
    expect(keys(g2)).toEqual([]);
    expect(rows('apply_state', g2)).toEqual([]);
  });
});

describe('applySplit() directly', () => {
  it('reports the keys moved and the parent state after, and refuses nothing without a range', () => {
    const state = { applied: parent.appliedIndex(), conf: parent.confState(), revision: parent.revision(), clockMs: 40, range: RANGE };
    const outcome = node.db.transaction(() => applySplit(node.db, g1, { type: 'split', child: 2, mid: MID }, state, ringPosition));
    expect(outcome).toEqual({ state: { ...state, range: { start: RANGE.start, end: MID } }, childBorn: true, moved: 4 });
    const unranged = node.db.transaction(() => applySplit(node.db, g1, { type: 'split', child: 3, mid: MID }, { ...state, range: null }, ringPosition));
    expect(unranged).toEqual({ state: { ...state, range: null }, childBorn: false, moved: 0 });
    expect(rows('apply_state', groupId(3))).toEqual([]);
  });
});

describe('split entry on groups without a ring', () => {
  it('is refused with INVALID_ARGUMENT on a node without ringPosition', async () => {
    const plain = openNode(dbPath(tempDir(), 'plain.db'));
    try {
      const kv = (await plain.openGroup(g1, founder, RANGE)).kv;
      const [result] = kv.apply([commandEntry(2, split())]);
      expect(result?.result).toEqual({ type: 'error', code: 'INVALID_ARGUMENT', message: 'Cannot split: this group has no ring range', field: 'split' });
      expect(kv.descriptor()).toEqual(RANGE);
    } finally {
      plain.close();
    }
  });

  it('changes nothing for a group opened without a range', async () => {
    const kv = (await node.openGroup(groupId(5), founder)).kv;
    const [result] = kv.apply([commandEntry(2, put('q5', 'v')), commandEntry(3, split(MID, 6))]);
    expect(result?.result).toMatchObject({ type: 'put' });
    expect(kv.descriptor()).toBeNull();
    expect(kv.get(b('q5')).kv).not.toBeNull();
    expect(rows('apply_state', groupId(6))).toEqual([]);
  });
});
