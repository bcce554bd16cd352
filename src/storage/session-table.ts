/**
 * Client sessions of one group (Raft thesis §6.3): the last applied sequence number of each
 * session and the encoded result of that command, so a retry is answered without applying twice.
 * Time here is always the leader's clock carried in commands, so every replica expires the same
 * sessions at the same log index.
 */
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';
import type { StorageDatabase } from './database.js';
import { bytesColumn, intColumn, nullableIntColumn } from './sql-row.js';

export interface SessionRecord {
  readonly seq: number;
  readonly result: Uint8Array;
  readonly lastSeenMs: number;
}

export class SessionTable {
  /**
   * A lower bound of the smallest `last_seen_ms` among the group's rows (Infinity: no rows), or
   * null when unknown. It lets `expireIdle` skip its DELETE when nothing is old enough to go,
   * which is almost always: the DELETE still runs at every log position where it deletes a row,
   * so every replica keeps identical rows however its batches fall.
   * Why the bound holds: `record` and `touch` set a row's `last_seen_ms` to `nowMs` and the bound
   * takes the min with it (the group clock only grows, so in practice that lowers it only when the
   * table was empty); deletes (expiry, eviction, a split clearing a child's rows, destroying the
   * group) only raise the true minimum. What breaks it is a row coming back or arriving from
   * elsewhere: a rolled-back apply transaction undoes its DELETEs, and a snapshot install writes
   * new rows. Both call `forget()` (KvStateMachine.apply's catch, KvStateMachine.reload); unknown
   * means the next `expireIdle` runs its DELETE and reads the minimum afresh.
   */
  private oldestSeenMsFloor: number | null = null;

  constructor(
    private readonly db: StorageDatabase,
    readonly group: GroupId,
  ) {}

  find(id: string): SessionRecord | null {
    const row = this.db.statement('SELECT seq, result, last_seen_ms FROM session WHERE group_id = ? AND id = ?').get(this.group, id);
    if (row === undefined) return null;
    const record = { seq: intColumn(row, 'seq'), result: bytesColumn(row, 'result'), lastSeenMs: intColumn(row, 'last_seen_ms') };
    assert(record.seq >= 1, `Stored session has seq ${record.seq}`);
    return record;
  }

  record(id: string, seq: number, result: Uint8Array, nowMs: number): void {
    assert(Number.isSafeInteger(seq) && seq >= 1, `Cannot record session seq ${seq}`);
    this.db
      .statement('INSERT OR REPLACE INTO session (group_id, id, seq, result, last_seen_ms) VALUES (?, ?, ?, ?, ?)')
      .run(this.group, id, seq, result, nowMs);
    this.lowerFloor(nowMs);
  }

  touch(id: string, nowMs: number): void {
    this.db.statement('UPDATE session SET last_seen_ms = ? WHERE group_id = ? AND id = ?').run(nowMs, this.group, id);
    this.lowerFloor(nowMs);
  }

  /** Deletes sessions last seen before `cutoffMs`; no statement when none can be that old. */
  expireIdle(cutoffMs: number): number {
    if (this.oldestSeenMsFloor !== null && cutoffMs <= this.oldestSeenMsFloor) return 0;
    const { changes } = this.db.statement('DELETE FROM session WHERE group_id = ? AND last_seen_ms < ?').run(this.group, cutoffMs);
    // The exact minimum now (an index seek), so the next DELETE waits until a session can expire.
    const row = this.db.statement('SELECT MIN(last_seen_ms) AS oldest FROM session WHERE group_id = ?').get(this.group);
    assert(row !== undefined, 'MIN returned no row');
    this.oldestSeenMsFloor = nullableIntColumn(row, 'oldest') ?? Infinity;
    return changes;
  }

  /** Keeps at most `max` sessions, evicting the least recently seen (ties by id: deterministic). */
  evictOverflow(max: number): number {
    const row = this.db.statement('SELECT COUNT(*) AS n FROM session WHERE group_id = ?').get(this.group);
    assert(row !== undefined, 'COUNT returned no row');
    const excess = intColumn(row, 'n') - max;
    if (excess <= 0) return 0;
    const sql = `DELETE FROM session WHERE group_id = ? AND id IN
      (SELECT id FROM session WHERE group_id = ? ORDER BY last_seen_ms, id LIMIT ?)`;
    return this.db.statement(sql).run(this.group, this.group, excess).changes;
  }

  /** The rows may have changed other than through this object: drop the cached bound. */
  forget(): void {
    this.oldestSeenMsFloor = null;
  }

  private lowerFloor(nowMs: number): void {
    if (this.oldestSeenMsFloor !== null) this.oldestSeenMsFloor = Math.min(this.oldestSeenMsFloor, nowMs);
  }
}
