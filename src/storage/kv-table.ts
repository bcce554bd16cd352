/**
 * Row-level access to one group's keys in the `kv` table: point reads, writes that keep etcd's
 * per-key version and revisions, and bounded range scans in byte order. No transactions here: the
 * state machine wraps writes in its apply transaction.
 */
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';
import type { StorageDatabase } from './database.js';
import type { KeyRange, KeyValue, RangeQuery } from './kv-types.js';
import { bytesColumn, intColumn, type SqlRow } from './sql-row.js';
import { storageLimits } from './storage-limits.js';

export interface KeyBounds {
  /** Inclusive. */
  readonly lower: Uint8Array;
  /** Exclusive; null is the end of the key space. */
  readonly upper: Uint8Array | null;
}

/** The first key after every key starting with `prefix`, or null when there is none (all 0xff). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  for (let i = prefix.byteLength - 1; i >= 0; i--) {
    const byte = prefix[i];
    if (byte !== undefined && byte < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = byte + 1;
      return end;
    }
  }
  return null;
}

/** The smallest key greater than `key` in byte order. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.byteLength + 1);
  next.set(key);
  return next;
}

/**
 * Keys from here on (every key starting with four 0xff bytes) are the server's own, such as the
 * auth state (src/server/auth-store.ts): clients cannot name them (src/server/access-guard.ts) and
 * no range reaches them, because keyBounds ends every range here.
 */
export const SYSTEM_KEYS_START = new Uint8Array([0xff, 0xff, 0xff, 0xff]);

export function isSystemKey(key: Uint8Array): boolean {
  return Buffer.compare(key, SYSTEM_KEYS_START) >= 0;
}

export function keyBounds(range: KeyRange): KeyBounds {
  const { lower, upper } = 'prefix' in range ? { lower: range.prefix, upper: prefixEnd(range.prefix) } : { lower: range.start, upper: range.end ?? null };
  return { lower, upper: upper === null || isSystemKey(upper) ? SYSTEM_KEYS_START : upper };
}

export function kvFromRow(row: SqlRow): KeyValue {
  const kv: KeyValue = {
    key: bytesColumn(row, 'key'),
    value: bytesColumn(row, 'value'),
    createRevision: intColumn(row, 'create_revision'),
    modRevision: intColumn(row, 'mod_revision'),
    version: intColumn(row, 'version'),
  };
  assert(kv.key.byteLength > 0, 'Stored key is empty');
  assert(kv.version >= 1, `Stored key has version ${kv.version}`);
  assert(kv.createRevision >= 1 && kv.createRevision <= kv.modRevision, 'Stored key has revisions out of order');
  return kv;
}

export interface RangeRows {
  readonly kvs: KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

export class KvTable {
  constructor(
    private readonly db: StorageDatabase,
    readonly group: GroupId,
  ) {}

  get(key: Uint8Array): KeyValue | null {
    const sql = 'SELECT key, value, create_revision, mod_revision, version FROM kv WHERE group_id = ? AND key = ?';
    const row = this.db.statement(sql).get(this.group, key);
    return row === undefined ? null : kvFromRow(row);
  }

  /**
   * Writes `key` at `revision`. One upsert statement, without reading the row first: a put is the
   * hot path of every replica's apply. The WHERE keeps the ordering check of `putReturningPrev`.
   */
  put(key: Uint8Array, value: Uint8Array, revision: number): void {
    assert(key.byteLength > 0, 'Cannot put an empty key');
    const sql = `INSERT INTO kv (group_id, key, value, create_revision, mod_revision, version) VALUES (?, ?, ?, ?, ?, 1)
      ON CONFLICT (group_id, key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision, version = version + 1
      WHERE mod_revision < excluded.mod_revision`;
    const { changes } = this.db.statement(sql).run(this.group, key, value, revision, revision);
    assert(changes === 1, `put at revision ${revision} is not after the key's last write`);
  }

  /** Like `put`, and returns the previous row, if any (a put that asked for prev_kv). */
  putReturningPrev(key: Uint8Array, value: Uint8Array, revision: number): KeyValue | null {
    assert(key.byteLength > 0, 'Cannot put an empty key');
    const prev = this.get(key);
    assert(prev === null || prev.modRevision < revision, `put at revision ${revision} is not after the key's last write`);
    this.db
      .statement('INSERT OR REPLACE INTO kv (group_id, key, value, create_revision, mod_revision, version) VALUES (?, ?, ?, ?, ?, ?)')
      .run(this.group, key, value, prev?.createRevision ?? revision, revision, (prev?.version ?? 0) + 1);
    return prev;
  }

  delete(key: Uint8Array): KeyValue | null {
    const prev = this.get(key);
    if (prev !== null) this.db.statement('DELETE FROM kv WHERE group_id = ? AND key = ?').run(this.group, key);
    return prev;
  }

  deleteRange(range: KeyRange): number {
    const { lower, upper } = keyBounds(range);
    if (upper === null) return this.db.statement('DELETE FROM kv WHERE group_id = ? AND key >= ?').run(this.group, lower).changes;
    return this.db.statement('DELETE FROM kv WHERE group_id = ? AND key >= ? AND key < ?').run(this.group, lower, upper).changes;
  }

  /** Keys of the range in byte order, bounded by the limit and by rangeBytesMax. */
  range(query: RangeQuery): RangeRows {
    const bounds = keyBounds(query);
    if (query.countOnly === true) return { kvs: [], more: false, count: this.count(bounds) };
    const limit = Math.min(query.limit ?? storageLimits.rangeLimitMax, storageLimits.rangeLimitMax);
    const { kvs, more } = this.rows(query, query.after ?? null, { rowsMax: limit, bytesMax: storageLimits.rangeBytesMax, keysOnly: query.keysOnly === true });
    // The count is free when this page holds the whole range; otherwise it costs a scan of the range.
    const count = !more && query.after === undefined ? kvs.length : this.count(bounds);
    return { kvs, more, count };
  }

  /**
   * At most `rowsMax` keys of `range` after `after` (from its start when null), in byte order,
   * stopping before the row that would pass `bytesMax` of keys and values (but never empty while
   * keys remain). `more` says keys remain after the last one returned.
   */
  rows(range: KeyRange, after: Uint8Array | null, page: { readonly rowsMax: number; readonly bytesMax: number; readonly keysOnly: boolean }): { kvs: KeyValue[]; more: boolean } {
    assert(page.rowsMax >= 1, `rows() asked for ${page.rowsMax} rows`);
    const bounds = keyBounds(range);
    const successor = after === null ? null : keySuccessor(after);
    const lower = successor !== null && Buffer.compare(successor, bounds.lower) > 0 ? successor : bounds.lower;
    const kvs: KeyValue[] = [];
    let bytes = 0;
    for (const row of this.scan({ lower, upper: bounds.upper }, page.keysOnly, page.rowsMax + 1)) {
      const kv = kvFromRow(row);
      bytes += kv.key.byteLength + kv.value.byteLength;
      if (kvs.length === page.rowsMax || (kvs.length > 0 && bytes > page.bytesMax)) return { kvs, more: true };
      checkAscending(kvs[kvs.length - 1], kv);
      kvs.push(kv);
    }
    return { kvs, more: false };
  }

  /**
   * Counts at most `rowsMax` keys of `range` from `from` (inclusive; its start when null): one
   * bounded index walk, so a caller can count a large range in steps. `next` is where the next
   * step starts, null when the range is done.
   */
  countStep(range: KeyRange, from: Uint8Array | null, rowsMax: number): { counted: number; next: Uint8Array | null } {
    assert(rowsMax >= 1, `countStep() asked for ${rowsMax} rows`);
    const bounds = keyBounds(range);
    const lower = from !== null && Buffer.compare(from, bounds.lower) > 0 ? from : bounds.lower;
    const upper = bounds.upper === null ? '' : ' AND key < ?';
    const params = bounds.upper === null ? [lower] : [lower, bounds.upper];
    const where = `FROM kv WHERE group_id = ? AND key >= ?${upper} ORDER BY key`;
    const row = this.db.statement(`SELECT COUNT(*) AS n FROM (SELECT 1 ${where} LIMIT ?)`).get(this.group, ...params, rowsMax);
    assert(row !== undefined, 'COUNT returned no row');
    const counted = intColumn(row, 'n');
    if (counted < rowsMax) return { counted, next: null };
    const next = this.db.statement(`SELECT key ${where} LIMIT 1 OFFSET ?`).get(this.group, ...params, rowsMax);
    return { counted, next: next === undefined ? null : bytesColumn(next, 'key') };
  }

  private scan(bounds: KeyBounds, keysOnly: boolean, limit: number): IterableIterator<SqlRow> {
    const value = keysOnly ? "x'' AS value" : 'value';
    const upper = bounds.upper === null ? '' : ' AND key < ?';
    const sql = `SELECT key, ${value}, create_revision, mod_revision, version FROM kv WHERE group_id = ? AND key >= ?${upper} ORDER BY key LIMIT ?`;
    const params = bounds.upper === null ? [bounds.lower] : [bounds.lower, bounds.upper];
    return this.db.statement(sql).iterate(this.group, ...params, limit);
  }

  private count(bounds: KeyBounds): number {
    const upper = bounds.upper === null ? '' : ' AND key < ?';
    const params = bounds.upper === null ? [bounds.lower] : [bounds.lower, bounds.upper];
    const row = this.db.statement(`SELECT COUNT(*) AS n FROM kv WHERE group_id = ? AND key >= ?${upper}`).get(this.group, ...params);
    assert(row !== undefined, 'COUNT returned no row');
    return intColumn(row, 'n');
  }
}

function checkAscending(previous: KeyValue | undefined, next: KeyValue): void {
  assert(previous === undefined || Buffer.compare(previous.key, next.key) < 0, 'Range rows are not in key order');
}
