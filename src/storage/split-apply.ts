/**
 * Applying a split entry (kv-command.ts, SplitCommand) on one replica, inside the apply
 * transaction. Every replica applies the same entry at the same index to the same state, so every
 * replica carves out the same child:
 *   - the parent keeps [start, mid) of its ring range; keys at or above mid leave it;
 *   - the child is born here as a founder of a new group at index 1, term 1, with the parent's
 *     membership, revision and clock, the moved keys, and the range [mid, end). Its snapshot row
 *     names no file yet: the node produces the child's first snapshot file before it runs the
 *     child, so a replica that needs a snapshot gets these keys, never an empty bootstrap.
 * If this node already deleted a replica of the child (a tombstone), nothing is born either.
 * If the child already exists here with state of its own (its leader, on a node that applied the
 * split earlier, sent it a snapshot first), that state is newer: the keys are only dropped from
 * the parent. If it exists empty (created by such a message, nothing installed), it is born as
 * above but keeps the term and vote it may have given.
 * A split whose mid is not strictly inside the parent's range (a duplicate proposal) changes nothing.
 */
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';
import type { ApplyState } from './apply-state.js';
import { writeApplyState } from './apply-state.js';
import type { StorageDatabase } from './database.js';
import type { SplitCommand } from './kv-command.js';
import { bytesColumn, confToText } from './sql-row.js';

export interface SplitOutcome {
  readonly state: ApplyState;
  /** The child's state was written here: the node must (re)open it. */
  readonly childBorn: boolean;
  readonly moved: number;
}

export function applySplit(db: StorageDatabase, parent: GroupId, command: SplitCommand, state: ApplyState, positionOf: (key: Uint8Array) => number): SplitOutcome {
  const range = state.range;
  if (range === null || command.mid <= range.start || command.mid >= range.end) return { state, childBorn: false, moved: 0 };
  const child = command.child;
  const keys = db.statement('SELECT key FROM kv WHERE group_id = ?').all(parent).map((row) => bytesColumn(row, 'key'))
    .filter((key) => positionOf(key) >= command.mid);
  // A tombstone means this node held the child and was removed from it since: the child lives on
  // elsewhere, and a copy born here from this old parent state would be a stale voter.
  const childHasState = db.statement(`SELECT 1 FROM apply_state WHERE group_id = ? AND applied >= 1
    UNION SELECT 1 FROM snapshot_staging WHERE group_id = ? UNION SELECT 1 FROM tombstone WHERE group_id = ?`).get(child, child, child) !== undefined;
  if (childHasState) {
    for (const key of keys) db.statement('DELETE FROM kv WHERE group_id = ? AND key = ?').run(parent, key);
  } else {
    birth(db, child, { ...state, range: { start: command.mid, end: range.end } });
    for (const key of keys) db.statement('UPDATE kv SET group_id = ? WHERE group_id = ? AND key = ?').run(child, parent, key);
  }
  return { state: { ...state, range: { start: range.start, end: command.mid } }, childBorn: !childHasState, moved: keys.length };
}

function birth(db: StorageDatabase, child: number, state: ApplyState): void {
  assert(db.statement('SELECT 1 FROM raft_log WHERE group_id = ?').get(child) === undefined, `Split child ${child} already has log entries`);
  db.statement('DELETE FROM kv WHERE group_id = ?').run(child);
  db.statement('DELETE FROM session WHERE group_id = ?').run(child);
  writeApplyState(db, child as GroupId, { ...state, applied: 1 as ApplyState['applied'] });
  db.statement("INSERT OR REPLACE INTO snapshot (group_id, idx, term, conf, file) VALUES (?, 1, 1, ?, '')").run(child, confToText(state.conf));
  db.statement('INSERT OR IGNORE INTO hard_state (group_id, term, vote, commit_index) VALUES (?, 1, NULL, 1)').run(child);
  db.statement('UPDATE hard_state SET term = MAX(term, 1), commit_index = MAX(commit_index, 1) WHERE group_id = ?').run(child);
}
