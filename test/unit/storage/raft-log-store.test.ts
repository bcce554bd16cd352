// SqliteLogStore against a real SQLite file: the LogReader contract (same as MemoryLogStore), the
// write half (append with overwrite, compact, installSnapshot), the term cache, the cache of recent
// entries (checked against what a freshly opened store reads from SQLite), and recovery after
// closing and reopening the database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvariantError } from '../../../src/shared/assert.js';
import { logIndex, nodeId, term } from '../../../src/shared/ids.js';
import { StorageDatabase } from '../../../src/storage/database.js';
import { SqliteLogStore } from '../../../src/storage/raft-log-store.js';
import { storageLimits } from '../../../src/storage/storage-limits.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { b, bootstrap, bootstrapConf, dbPath, entries, entry, g1, g2, removeTempDirs, tempDir, text } from './helpers.js';

let file: string;
let db: StorageDatabase;

function open(): SqliteLogStore {
  return new SqliteLogStore(db, g1, bootstrap);
}

function append(log: SqliteLogStore, list: readonly LogEntry[]): void {
  db.transaction(() => log.append(list));
}

function terms(log: SqliteLogStore, from: number, to: number): (number | undefined)[] {
  return Array.from({ length: to - from + 1 }, (_, i) => log.term(logIndex(from + i)));
}

/** entries() of `log` equal those a freshly opened store reads from SQLite, for every start in [lo, hi). */
function expectSameAsStored(log: SqliteLogStore, lo: number, hi: number): void {
  const stored = open();
  expect(log.lastIndex()).toBe(hi - 1);
  for (let from = lo; from < hi; from++) {
    expect(log.entries(logIndex(from), logIndex(hi), 1 << 20), `from ${from}`).toEqual(stored.entries(logIndex(from), logIndex(hi), 1 << 20));
  }
}

beforeEach(() => {
  file = dbPath(tempDir());
  db = StorageDatabase.open(file);
});

afterEach(() => {
  if (db.sqlite.open) db.close();
  removeTempDirs();
});

describe('SqliteLogStore', () => {
  it('starts empty with the bootstrap membership at index 0', () => {
    const log = open();
    expect(log.firstIndex()).toBe(1);
    expect(log.lastIndex()).toBe(0);
    expect(log.term(logIndex(0))).toBe(0);
    expect(log.snapshotMeta()).toEqual({ index: 0, term: 0, conf: bootstrapConf });
    expect(log.hardState()).toEqual({ term: 0, vote: null, commit: 0 });
    expect(log.snapshotChunk(logIndex(0), 0, 100)).toEqual({ data: new Uint8Array(0), done: true });
  });

  it('append() stores entries and entries() returns them in order', () => {
    const log = open();
    append(log, entries(1, 5, 1));
    expect(log.lastIndex()).toBe(5);
    const got = log.entries(logIndex(2), logIndex(5), 1 << 20);
    expect(got.map((e) => e.index)).toEqual([2, 3, 4]);
    expect(got.map((e) => text(e.data))).toEqual(['e2', 'e3', 'e4']);
    expect(log.entries(logIndex(3), logIndex(3), 100)).toEqual([]);
  });

  it('append() of more entries than one INSERT holds stores them all, in order', () => {
    const log = open();
    append(log, entries(1, 70, 1));
    append(log, entries(71, 1, 2));
    const got = log.entries(logIndex(1), logIndex(72), 1 << 20);
    expect(got.map((e) => e.index)).toEqual(Array.from({ length: 71 }, (_, i) => i + 1));
    expect(got.map((e) => text(e.data)).slice(30, 34)).toEqual(['e31', 'e32', 'e33', 'e34']);
    expect(terms(log, 69, 71)).toEqual([1, 1, 2]);
  });

  it('entries() stops past bytesMax but returns at least one entry', () => {
    const log = open();
    append(log, entries(1, 5, 1));
    expect(log.entries(logIndex(1), logIndex(6), 0)).toHaveLength(1);
    expect(log.entries(logIndex(1), logIndex(6), 2 * (24 + 2))).toHaveLength(2);
  });

  it('append() overwrites the stored suffix from the first new index', () => {
    const log = open();
    append(log, entries(1, 5, 1));
    append(log, [entry(3, 2), entry(4, 2)]);
    expect(log.lastIndex()).toBe(4);
    expect(terms(log, 1, 5)).toEqual([1, 1, 2, 2, undefined]);
    expect(log.entries(logIndex(1), logIndex(5), 1 << 20).map((e) => e.term)).toEqual([1, 1, 2, 2]);
  });

  it.each([
    ['leaves a gap', [entry(7, 1)]],
    ['is not contiguous', [entry(6, 1), entry(8, 1)]],
    ['decreases terms', [entry(6, 3), entry(7, 2)]],
    ['has a term below the entry before', [entry(4, 0)]],
  ])('append() refuses entries that %s', (_name, list) => {
    const log = open();
    append(log, [...entries(1, 3, 1), entry(4, 2), entry(5, 2)]);
    expect(() => append(log, list)).toThrow(InvariantError);
  });

  it('append() refuses to change a committed entry but accepts rewriting it unchanged', () => {
    const log = open();
    db.transaction(() => {
      log.append(entries(1, 4, 1));
      log.setHardState({ term: term(1), vote: nodeId(1), commit: logIndex(3) });
    });
    expect(() => append(log, [entry(3, 2)])).toThrow(/committed entry 3/);
    append(log, [entry(3, 1), entry(4, 2)]);
    expect(terms(log, 3, 4)).toEqual([1, 2]);
  });

  it('write methods refuse to run outside a transaction', () => {
    const log = open();
    expect(() => log.append(entries(1, 1, 1))).toThrow(/inside a transaction/);
  });

  it('setHardState() refuses a term, vote or commit that moves back', () => {
    const log = open();
    db.transaction(() => log.setHardState({ term: term(3), vote: nodeId(2), commit: logIndex(0) }));
    expect(() => db.transaction(() => log.setHardState({ term: term(2), vote: null, commit: logIndex(0) }))).toThrow(InvariantError);
    expect(() => db.transaction(() => log.setHardState({ term: term(3), vote: nodeId(1), commit: logIndex(0) }))).toThrow(/vote/);
    expect(log.hardState()).toEqual({ term: 3, vote: 2, commit: 0 });
  });

  it('compact() records the snapshot and drops entries up to it', () => {
    const log = open();
    append(log, [...entries(1, 3, 1), ...entries(4, 3, 2)]);
    const meta = { index: logIndex(4), term: term(2), conf: bootstrapConf };
    db.transaction(() => log.compact(meta, 'g1-i4-t2.snap'));
    expect(log.firstIndex()).toBe(5);
    expect(log.lastIndex()).toBe(6);
    expect(terms(log, 3, 6)).toEqual([undefined, 2, 2, 2]);
    expect(log.snapshotMeta()).toEqual(meta);
    expect(() => log.entries(logIndex(4), logIndex(5), 100)).toThrow(InvariantError);
    expect(() => db.transaction(() => log.compact({ ...meta, term: term(1) }, 'x'))).toThrow(/term/);
  });

  it('compact() deletes one chunk of rows and leaves the rest to purgeCompacted(), also after a reopen', () => {
    const chunk = storageLimits.logPurgeRowsMax;
    const log = open();
    append(log, entries(1, chunk + 2000, 1));
    const meta = { index: logIndex(chunk + 1000), term: term(1), conf: bootstrapConf };
    db.transaction(() => log.compact(meta, 'g1.snap'));
    const rows = (): number => Number(db.statement('SELECT COUNT(*) AS n FROM raft_log WHERE group_id = ?').get(g1)?.['n']);
    expect(rows()).toBe(2000); // 1000 leftovers at or below the snapshot, 1000 live entries
    expect(log.bytesSinceSnapshot()).toBe(0);
    const reopened = open(); // a restart before the purge finished: leftovers are not part of the log
    expect([reopened.firstIndex(), reopened.lastIndex()]).toEqual([chunk + 1001, chunk + 2000]);
    expect(reopened.entries(logIndex(chunk + 1001), logIndex(chunk + 1003), 1 << 20).map((e) => text(e.data))).toEqual([`e${chunk + 1001}`, `e${chunk + 1002}`]);
    expect(reopened.bytesSinceSnapshot()).toBe(1000 * 'e12345'.length);
    expect(db.transaction(() => reopened.purgeCompacted(chunk))).toBe(true);
    expect(db.transaction(() => reopened.purgeCompacted(chunk))).toBe(false);
    expect(rows()).toBe(1000);
  });

  it('bytesSinceSnapshot() counts entry data appended since the last compaction', () => {
    const log = open();
    append(log, entries(1, 5, 1)); // e1..e5: 2 bytes each
    expect(log.bytesSinceSnapshot()).toBe(10);
    db.transaction(() => log.compact({ index: logIndex(3), term: term(1), conf: bootstrapConf }, 'g1.snap'));
    append(log, entries(6, 2, 1));
    expect(log.bytesSinceSnapshot()).toBe(4);
  });

  it('installSnapshot() empties the log, which restarts after the snapshot', () => {
    const log = open();
    append(log, entries(1, 5, 1));
    db.transaction(() => log.installSnapshot({ index: logIndex(10), term: term(3), conf: bootstrapConf }, 'g1-i10-t3.recv'));
    expect(log.firstIndex()).toBe(11);
    expect(log.lastIndex()).toBe(10);
    expect(log.term(logIndex(10))).toBe(3);
    expect(log.term(logIndex(5))).toBeUndefined();
    append(log, [entry(11, 3)]);
    expect(log.lastIndex()).toBe(11);
  });

  it('term() answers past the cached runs by reading SQLite', () => {
    const log = open();
    // One entry per term: more runs than the cache keeps (termRunsMax = 4096).
    const list = Array.from({ length: 5000 }, (_, i) => entry(i + 1, i + 1));
    append(log, list);
    expect(log.term(logIndex(1))).toBe(1);
    expect(log.term(logIndex(4999))).toBe(4999);
    append(log, [entry(2, 2), entry(3, 7)]); // overwrite below the cached runs
    expect(terms(log, 1, 4)).toEqual([1, 2, 7, undefined]);
  });

  it('keeps groups apart in the one database', () => {
    const a = open();
    const other = new SqliteLogStore(db, g2, bootstrap);
    append(a, entries(1, 3, 1));
    db.transaction(() => other.append(entries(1, 1, 5)));
    expect(a.lastIndex()).toBe(3);
    expect(other.lastIndex()).toBe(1);
    expect(other.term(logIndex(1))).toBe(5);
  });

  it('recovers hard state, snapshot and log after the database is closed and reopened', () => {
    const log = open();
    db.transaction(() => {
      log.append([...entries(1, 4, 1), ...entries(5, 2, 2)]);
      log.setHardState({ term: term(2), vote: nodeId(3), commit: logIndex(5) });
      log.compact({ index: logIndex(2), term: term(1), conf: bootstrapConf }, 'g1-i2-t1.snap');
    });
    db.close();
    db = StorageDatabase.open(file);
    const again = open();
    expect(again.hardState()).toEqual({ term: 2, vote: 3, commit: 5 });
    expect(again.snapshotMeta()).toEqual({ index: 2, term: 1, conf: bootstrapConf });
    expect(again.firstIndex()).toBe(3);
    expect(again.lastIndex()).toBe(6);
    expect(terms(again, 2, 6)).toEqual([1, 1, 1, 2, 2]);
    expect(again.entries(logIndex(3), logIndex(7), 1 << 20).map((e) => text(e.data))).toEqual(['e3', 'e4', 'e5', 'e6']);
  });

  it('entries() just appended come back from memory, the very objects appended', () => {
    const log = open();
    const list = entries(1, 3, 1);
    append(log, list);
    const got = log.entries(logIndex(1), logIndex(4), 1 << 20);
    expect(got).toEqual(list);
    got.forEach((e, i) => expect(e).toBe(list[i]));
  });

  it('entries() from memory match SQLite after overwrites within and below what memory holds', () => {
    const log = open();
    append(log, entries(1, 700, 1)); // more than recentEntriesMax: the oldest are only in SQLite
    append(log, [entry(695, 2, b('new695')), entry(696, 2, b('new696'))]);
    expectSameAsStored(log, 680, 697);
    append(log, [entry(6, 3, b('new6')), entry(7, 3, b('new7'))]);
    expectSameAsStored(log, 1, 8);
    expect(log.entries(logIndex(5), logIndex(8), 1 << 20).map((e) => text(e.data))).toEqual(['e5', 'new6', 'new7']);
  });

  it('entries() from memory match SQLite after compact() and installSnapshot()', () => {
    const log = open();
    append(log, entries(1, 6, 1));
    db.transaction(() => log.compact({ index: logIndex(4), term: term(1), conf: bootstrapConf }, 'g1-i4-t1.snap'));
    expectSameAsStored(log, 5, 7);
    db.transaction(() => log.installSnapshot({ index: logIndex(10), term: term(3), conf: bootstrapConf }, 'g1-i10-t3.recv'));
    append(log, entries(11, 2, 3));
    expectSameAsStored(log, 11, 13);
  });

  it('entries() after reload() of a rolled-back overwrite serve what SQLite kept', () => {
    const log = open();
    append(log, entries(1, 5, 1));
    expect(() =>
      db.transaction(() => {
        log.append([entry(3, 2, b('lost3')), entry(4, 2, b('lost4'))]);
        throw new Error('disk on fire');
      }),
    ).toThrow('disk on fire');
    log.reload();
    expectSameAsStored(log, 1, 6);
    expect(log.entries(logIndex(3), logIndex(5), 1 << 20).map((e) => text(e.data))).toEqual(['e3', 'e4']);
  });

  it('reload() after a transaction that threw matches what SQLite kept', () => {
    const log = open();
    append(log, entries(1, 2, 1));
    expect(() =>
      db.transaction(() => {
        log.append(entries(3, 2, 1));
        throw new Error('disk on fire');
      }),
    ).toThrow('disk on fire');
    expect(log.lastIndex()).toBe(4); // memory ran ahead of the rolled-back write...
    log.reload();
    expect(log.lastIndex()).toBe(2); // ...until reload(), which NodeStorage calls on failure.
  });
});
