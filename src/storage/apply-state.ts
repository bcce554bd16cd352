/**
 * The `apply_state` row of a group: how far the state machine has applied, the membership that
 * results, the KV revision and the group clock (the largest leader timestamp applied so far).
 * It is written in the same transaction as the effects of the entries it counts.
 */
import type { InitialState } from '../raft/bootstrap.js';
import { assert } from '../shared/assert.js';
import { logIndex, type GroupId, type LogIndex } from '../shared/ids.js';
import type { ConfState } from '../raft/types.js';
import type { StorageDatabase } from './database.js';
import { confFromText, confToText, intColumn, textColumn, type SqlRow } from './sql-row.js';

export interface ApplyState {
  readonly applied: LogIndex;
  readonly conf: ConfState;
  /** Invariant: never decreases while entries are applied. */
  readonly revision: number;
  /** Leader time: max of the timeMs of applied commands. Leaders' clocks may disagree; max keeps it monotonic. */
  readonly clockMs: number;
  /**
   * The ring range this group owns (its descriptor), or null when it is not a data group of a
   * sharded cluster. Splits shrink it; keys outside it are refused with WRONG_SHARD.
   */
  readonly range: RingBounds | null;
}

/** [start, end) on the hash ring (src/shard/hash-ring.ts). */
export interface RingBounds {
  readonly start: number;
  readonly end: number;
}

/**
 * `state` with another clock and revision. Spelled out rather than spread (`{ ...state, clockMs }`):
 * it runs for every applied command, and V8 copies a spread through a slower path.
 */
export function withClockAndRevision(state: ApplyState, clockMs: number, revision: number): ApplyState {
  return { applied: state.applied, conf: state.conf, revision, clockMs, range: state.range };
}

export function readApplyState(db: StorageDatabase, group: GroupId, initial: InitialState, initialRange: RingBounds | null): ApplyState {
  const row = db.statement('SELECT applied, conf, revision, clock_ms, range_start, range_end FROM apply_state WHERE group_id = ?').get(group);
  if (row === undefined) return { applied: initial.snapshot.index, conf: initial.snapshot.conf, revision: 0, clockMs: 0, range: initialRange };
  return {
    applied: logIndex(intColumn(row, 'applied')),
    conf: confFromText(textColumn(row, 'conf')),
    revision: intColumn(row, 'revision'),
    clockMs: intColumn(row, 'clock_ms'),
    range: rangeFromRow(row),
  };
}

export function rangeFromRow(row: SqlRow): RingBounds | null {
  const start = row['range_start'];
  const end = row['range_end'];
  return typeof start === 'number' && typeof end === 'number' ? { start, end } : null;
}

export function hasApplyState(db: StorageDatabase, group: GroupId): boolean {
  return db.statement('SELECT 1 FROM apply_state WHERE group_id = ?').get(group) !== undefined;
}

export function writeApplyState(db: StorageDatabase, group: GroupId, state: ApplyState): void {
  assert(db.inTransaction, 'apply_state must be written inside a transaction');
  assert(Number.isSafeInteger(state.revision) && state.revision >= 0, `Revision ${state.revision} is invalid`);
  assert(Number.isSafeInteger(state.clockMs) && state.clockMs >= 0, `Clock ${state.clockMs} is invalid`);
  db.statement('INSERT OR REPLACE INTO apply_state (group_id, applied, conf, revision, clock_ms, range_start, range_end) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
    group,
    state.applied,
    confToText(state.conf),
    state.revision,
    state.clockMs,
    state.range?.start ?? null,
    state.range?.end ?? null,
  );
}

/** True while a snapshot install has replaced only part of the group's keys (see snapshot-installer.ts). */
export function isInstalling(db: StorageDatabase, group: GroupId): boolean {
  const row = db.statement('SELECT installing FROM snapshot_staging WHERE group_id = ?').get(group);
  return row !== undefined && intColumn(row, 'installing') === 1;
}
