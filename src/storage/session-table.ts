/**
 * Client sessions of one group (Raft thesis §6.3): the last applied sequence number of each
 * session and the encoded result of that command, so a retry is answered without applying twice.
 * Time here is always the leader's clock carried in commands, so every replica expires the same
 * sessions at the same log index.
 */
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';
import type { StorageDatabase } from './database.js';
import { bytesColumn, intColumn } from './sql-row.js';

export interface SessionRecord {
  readonly seq: number;
  readonly result: Uint8Array;
  readonly lastSeenMs: number;
}

export class SessionTable {
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
  }

  touch(id: string, nowMs: number): void {
    this.db.statement('UPDATE session SET last_seen_ms = ? WHERE group_id = ? AND id = ?').run(nowMs, this.group, id);
  }

  /** Deletes sessions last seen before `cutoffMs`; an index seek when there is nothing to do. */
  expireIdle(cutoffMs: number): number {
    return this.db.statement('DELETE FROM session WHERE group_id = ? AND last_seen_ms < ?').run(this.group, cutoffMs).changes;
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
}
