// Goal: corrupt a stopped node's data the way a bad disk or a stray write would, below SQLite's
// notice, for the consistency-check tests and the byte-flip nemesis. Method: fold the WAL into the
// database file first (a node killed with SIGKILL leaves one), find the row's record in the pages
// of the `kv` table (dbstat names them), where a record's body holds group_id, key and value in
// that order, so key bytes followed by value bytes mark the value exactly, and flip one bit of its
// last value byte. SQLite keeps no page checksums: `PRAGMA quick_check` still says ok afterwards.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface FlippedValue {
  readonly key: Uint8Array;
  /** File offset of the flipped byte. */
  readonly offset: number;
}

interface PageRow {
  readonly pageno: number;
}

/** Folds the WAL into the main file so every row lives at one place in `dbPath`. */
function checkpoint(dbPath: string): number {
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    return Number(db.pragma('page_size', { simple: true }));
  } finally {
    db.close();
  }
}

function kvPages(dbPath: string): number[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], PageRow>("SELECT pageno FROM dbstat WHERE name = 'kv' AND pagetype = 'leaf'").all().map((r) => r.pageno);
  } finally {
    db.close();
  }
}

/**
 * Flips one bit of the last byte of `key`'s stored value (which must be `value`, non-empty and small
 * enough to sit in its leaf page) in the stopped node's database `dbPath`. Pages keep dead copies of
 * records (free space left by splits and deletes), so each candidate is checked by reading the row
 * back through SQLite; a flip that did not change it is undone and the search goes on.
 */
export function flipValueByte(dbPath: string, key: Uint8Array, value: Uint8Array): FlippedValue {
  if (value.byteLength === 0) throw new Error('Cannot flip a byte of an empty value');
  const pageBytes = checkpoint(dbPath);
  const needle = Buffer.concat([key, value]);
  const fd = openSync(dbPath, 'r+');
  try {
    for (const page of kvPages(dbPath)) {
      const buffer = Buffer.alloc(pageBytes);
      const start = (page - 1) * pageBytes;
      readSync(fd, buffer, 0, pageBytes, start);
      for (let at = buffer.indexOf(needle); at >= 0; at = buffer.indexOf(needle, at + 1)) {
        const offset = start + at + needle.byteLength - 1;
        const original = buffer[at + needle.byteLength - 1] ?? 0;
        writeSync(fd, Buffer.from([original ^ 0x01]), 0, 1, offset);
        if (!storedValueIs(dbPath, key, value)) return { key, offset };
        writeSync(fd, Buffer.from([original]), 0, 1, offset); // a dead copy: undo, keep looking
      }
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`Cannot find the live record of key "${Buffer.from(key).toString('latin1')}" in the kv pages of ${dbPath}`);
}

function storedValueIs(dbPath: string, key: Uint8Array, value: Uint8Array): boolean {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare<[Uint8Array], { value: Buffer }>('SELECT value FROM kv WHERE key = ?').get(key);
    return row !== undefined && Buffer.compare(row.value, value) === 0;
  } finally {
    db.close();
  }
}

/** A row of the kv table chosen by `pick(count)` (an index below count), or null when it is empty. */
export function pickStoredRow(dbPath: string, pick: (count: number) => number): { key: Uint8Array; value: Uint8Array } | null {
  checkpoint(dbPath);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const sql = 'SELECT key, value FROM kv WHERE length(value) BETWEEN 1 AND 512';
    const count = db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM (${sql})`).get()?.n ?? 0;
    if (count === 0) return null;
    const row = db.prepare<[number], { key: Buffer; value: Buffer }>(`${sql} ORDER BY group_id, key LIMIT 1 OFFSET ?`).get(pick(count));
    return row === undefined ? null : { key: row.key, value: row.value };
  } finally {
    db.close();
  }
}

/** Overwrites the header of one leaf page of the kv table (chosen by `pick(count)`): SQLite will call the file malformed. */
export function breakKvPageHeader(dbPath: string, pick: (count: number) => number): number {
  const pageBytes = checkpoint(dbPath);
  const pages = kvPages(dbPath);
  const page = pages[pick(pages.length)];
  if (page === undefined) throw new Error(`No kv leaf page in ${dbPath}`);
  const fd = openSync(dbPath, 'r+');
  try {
    writeSync(fd, Buffer.from([0x42, 0xff, 0xff]), 0, 3, (page - 1) * pageBytes);
  } finally {
    closeSync(fd);
  }
  return page;
}
