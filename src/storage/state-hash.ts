/**
 * A digest of one group's applied state at one log index, to compare replicas (etcd's HashKV and
 * corruption check). The leader proposes a `hashCheck` entry (kv-command.ts); every replica, right
 * after the apply transaction that ends with it commits, opens a read transaction on a second
 * connection (in WAL mode it sees the database exactly as of that commit however long it stays
 * open) and hashes the group's rows from it in bounded batches that yield to the event loop. So
 * every replica hashes the same log position, and no apply waits for a hash.
 *
 * What is hashed is the replicated state and nothing else: the group's revision and ring range,
 * every key row (key, value, create and mod revision, version) in key order and every session row
 * (id, seq, result, last seen) in id order. Columns are hashed as SQLite returns them, tagged by
 * type and length-prefixed, without the row checks of the read path: a row a bad disk mangled
 * must change the hash, not stop the process. A read that fails (SQLITE_CORRUPT) gives a record
 * that matches no healthy replica.
 */
import { createHash, type Hash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { GroupId, LogIndex } from '../shared/ids.js';
import { openReader } from './database.js';
import { yieldToEventLoop } from './event-loop.js';
import type { SqlRow } from './sql-row.js';
import { storageLimits } from './storage-limits.js';

export interface StateHash {
  readonly index: LogIndex;
  /** sha256 of the state, hex; for a state that could not be read, `unreadable: <why>`. */
  readonly hash: string;
}

/** Newest records kept per group: peers may be a few checks behind each other. */
export const stateHashesKept = 8;
/** Hashes computed at once per group; a check that finds this many running is skipped. */
export const stateHashesInFlightMax = 2;

const formatTag = 'raftkv-state-hash-v1';

/** The group's hash records (newest last) and the hashes being computed. */
export class StateHashes {
  private readonly records: StateHash[] = [];
  private inFlight = 0;

  constructor(
    private readonly dbPath: string,
    private readonly group: GroupId,
  ) {}

  /**
   * Starts hashing the state as committed right now, which the caller says is at `index`. The read
   * view is fixed before this returns; the hash is recorded when done.
   */
  startAt(index: LogIndex): void {
    if (this.inFlight >= stateHashesInFlightMax) return;
    const reader = openReader(this.dbPath);
    let view: ViewHeader;
    try {
      view = beginView(reader, this.group);
    } catch (error) {
      reader.close();
      this.record({ index, hash: `unreadable: ${messageOf(error)}` });
      return;
    }
    this.inFlight++;
    hashView(reader, this.group, view)
      .then((hash) => this.record({ index, hash }), (error: unknown) => this.record({ index, hash: `unreadable: ${messageOf(error)}` }))
      .finally(() => {
        this.inFlight--;
        if (reader.inTransaction) reader.exec('COMMIT');
        reader.close();
      });
  }

  /** Newest last. */
  list(): readonly StateHash[] {
    return this.records;
  }

  /** Forgets every record: the state was replaced (a snapshot install), so old ones say nothing of it. */
  clear(): void {
    this.records.length = 0;
  }

  private record(hash: StateHash): void {
    this.records.push(hash);
    this.records.sort((a, b) => a.index - b.index);
    if (this.records.length > stateHashesKept) this.records.splice(0, this.records.length - stateHashesKept);
  }
}

interface ViewHeader {
  readonly applyState: SqlRow | undefined;
}

/** BEGIN plus the first read, which fixes the view every later read of this transaction sees. */
export function beginView(reader: Database.Database, group: GroupId): ViewHeader {
  reader.exec('BEGIN');
  const applyState = reader.prepare<[number], SqlRow>('SELECT applied, revision, range_start, range_end FROM apply_state WHERE group_id = ?').get(group);
  return { applyState };
}

/** Hashes the group's state as seen by `reader`'s open read transaction, in bounded batches. */
export async function hashView(reader: Database.Database, group: GroupId, view: ViewHeader): Promise<string> {
  const hash = createHash('sha256').update(formatTag);
  const state = view.applyState;
  for (const value of [state?.['revision'] ?? 0, state?.['range_start'] ?? null, state?.['range_end'] ?? null]) addColumn(hash, value);
  await addRows(hash, reader, group, {
    first: 'SELECT key AS k, value, create_revision, mod_revision, version FROM kv WHERE group_id = ? ORDER BY key LIMIT ?',
    next: 'SELECT key AS k, value, create_revision, mod_revision, version FROM kv WHERE group_id = ? AND key > ? ORDER BY key LIMIT ?',
  });
  hash.update('sessions');
  await addRows(hash, reader, group, {
    first: 'SELECT id AS k, seq, result, last_seen_ms FROM session WHERE group_id = ? ORDER BY id LIMIT ?',
    next: 'SELECT id AS k, seq, result, last_seen_ms FROM session WHERE group_id = ? AND id > ? ORDER BY id LIMIT ?',
  });
  return hash.digest('hex');
}

/** Keyset pagination over one table (column `k` is the order), a batch per event-loop turn. */
async function addRows(hash: Hash, reader: Database.Database, group: GroupId, sql: { first: string; next: string }): Promise<void> {
  const first = reader.prepare<unknown[], SqlRow>(sql.first);
  const next = reader.prepare<unknown[], SqlRow>(sql.next);
  let after: unknown = undefined;
  for (;;) {
    const rows = after === undefined ? first.all(group, storageLimits.snapshotBatchRowsMax) : next.all(group, after, storageLimits.snapshotBatchRowsMax);
    for (const row of rows) for (const value of Object.values(row)) addColumn(hash, value);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < storageLimits.snapshotBatchRowsMax) return;
    after = last['k'];
    await yieldToEventLoop();
  }
}

const scratch = Buffer.alloc(8);

/** One column value, tagged by type and length-prefixed so no two row sequences hash alike. */
function addColumn(hash: Hash, value: unknown): void {
  if (value instanceof Uint8Array) {
    scratch.writeUInt32LE(value.byteLength, 0);
    hash.update('b').update(scratch.subarray(0, 4)).update(value);
  } else if (typeof value === 'number') {
    scratch.writeDoubleLE(value, 0);
    hash.update('n').update(scratch);
  } else if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    scratch.writeUInt32LE(text.byteLength, 0);
    hash.update('s').update(scratch.subarray(0, 4)).update(text);
  } else {
    hash.update(value === null ? 'z' : `?${typeof value}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
