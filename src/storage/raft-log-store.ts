/**
 * One Raft group's durable log, hard state and snapshot metadata in the node's SQLite database:
 * the SQLite twin of MemoryLogStore, with the same semantics.
 *
 * Reads serve the core (LogReader). `hardState`, `snapshotMeta`, `lastIndex` and recent terms come
 * from memory; so do the newest entries (RecentEntries), older ones from SQLite. The write half runs inside a transaction the caller opens
 * (NodeStorage.persistBatch) and updates the memory copy as it goes; if that transaction throws,
 * the caller must call `reload()` so memory matches what SQLite kept.
 */
import type { InitialState } from '../raft/bootstrap.js';
import path from 'node:path';
import { assert } from '../shared/assert.js';
import { logIndex, nodeId, term as toTerm, type GroupId, type LogIndex, type Term } from '../shared/ids.js';
import { entryBytes, type LogReader } from '../raft/log-reader.js';
import type { EntryType, HardState, LogEntry, SnapshotMeta } from '../raft/types.js';
import type { StorageDatabase } from './database.js';
import { RecentEntries } from './recent-entries.js';
import { readFileChunk } from './snapshot-files.js';
import { bytesColumn, confFromText, confToText, intColumn, nullableIntColumn, textColumn, type SqlRow } from './sql-row.js';
import { storageLimits } from './storage-limits.js';
import { TermRuns } from './term-runs.js';

const entryTypeCodes: Readonly<Record<EntryType, number>> = { normal: 0, confChange: 1 };

/** Rows per INSERT; 5 parameters each stays far below SQLite's parameter limit (32766). */
const INSERT_ROWS_MAX = 32;
/** The SQL text per row count, built once, so the statement cache hashes the same strings. */
const insertSqlByRows: string[] = [];

function insertSql(rows: number): string {
  let sql = insertSqlByRows[rows];
  if (sql === undefined) {
    sql = `INSERT INTO raft_log (group_id, idx, term, type, data) VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', ')}`;
    insertSqlByRows[rows] = sql;
  }
  return sql;
}

interface LogState {
  hard: HardState;
  snapshot: SnapshotMeta;
  /** File (in the snapshot directory) holding the snapshot's bytes; null before the first one. */
  snapshotFile: string | null;
  /** Covers the snapshot index and every entry after it; `runs.lastIndex` is the last index. */
  runs: TermRuns;
  /**
   * Rows at or below the snapshot index are dead once compacted; they are deleted a bounded chunk
   * at a time (`purgeCompacted`), and this is the lowest index that may still have one.
   */
  purgeFrom: number;
  /** Entry data appended since the last compaction or install (a trigger for the next one, not exact). */
  bytesSinceSnapshot: number;
  /** A suffix of the log (or empty): what was appended since the last load, within its bounds. */
  recent: RecentEntries;
}

export class SqliteLogStore implements LogReader {
  private state: LogState;

  constructor(
    private readonly db: StorageDatabase,
    readonly group: GroupId,
    private readonly initial: InitialState,
  ) {
    this.state = this.load();
  }

  /** Re-reads everything from SQLite: after opening, and after a transaction that threw. */
  reload(): void {
    this.state = this.load();
  }

  hardState(): HardState {
    return this.state.hard;
  }
  snapshotMeta(): SnapshotMeta {
    return this.state.snapshot;
  }
  /** The snapshot's file name in the snapshot directory, or null before the first snapshot. */
  snapshotFileName(): string | null {
    return this.state.snapshotFile;
  }
  firstIndex(): LogIndex {
    return logIndex(this.state.snapshot.index + 1);
  }
  lastIndex(): LogIndex {
    return logIndex(this.state.runs.lastIndex);
  }
  /**
   * Bytes of entry data appended since the last compaction (or in the log, after a restart):
   * NodeHost compacts when it grows too large. Overwrites count twice: it only ever errs early.
   */
  bytesSinceSnapshot(): number {
    return this.state.bytesSinceSnapshot;
  }

  term(index: LogIndex): Term | undefined {
    const { snapshot, runs } = this.state;
    if (index === snapshot.index) return snapshot.term;
    if (index < snapshot.index || index > runs.lastIndex) return undefined;
    const cached = runs.lookup(index);
    if (cached !== undefined) return toTerm(cached);
    const row = this.db.statement('SELECT term FROM raft_log WHERE group_id = ? AND idx = ?').get(this.group, index);
    assert(row !== undefined, `Log entry ${index} of group ${this.group} is missing`);
    return toTerm(intColumn(row, 'term'));
  }

  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): LogEntry[] {
    assert(lo >= this.firstIndex(), `entries(${lo}) below firstIndex ${this.firstIndex()}`);
    assert(hi <= this.lastIndex() + 1, `entries(.., ${hi}) past lastIndex ${this.lastIndex()}`);
    const out: LogEntry[] = [];
    if (lo >= hi) return out;
    const recent = this.state.recent.slice(lo, hi, bytesMax);
    if (recent !== undefined) return recent;
    let bytes = 0;
    const sql = 'SELECT idx, term, type, data FROM raft_log WHERE group_id = ? AND idx >= ? AND idx < ? ORDER BY idx';
    for (const row of this.db.statement(sql).iterate(this.group, lo, hi)) {
      const entry = entryFromRow(row);
      assert(entry.index === lo + out.length, `Log of group ${this.group} has a gap before ${entry.index}`);
      assert(entry.term === this.term(entry.index), `Log entry ${entry.index} term differs from the cache`);
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    assert(out.length > 0, `Log of group ${this.group} returned nothing for [${lo}, ${hi})`);
    return out;
  }

  snapshotChunk(index: LogIndex, offset: number, bytesMax: number): { data: Uint8Array; done: boolean } | undefined {
    if (index !== this.state.snapshot.index) return undefined;
    const file = this.state.snapshotFile;
    if (file === null) return { data: new Uint8Array(0), done: true };
    return readFileChunk(path.join(this.db.snapshotDir, file), offset, bytesMax);
  }

  setHardState(hard: HardState): void {
    this.assertInTransaction('setHardState');
    const before = this.state.hard;
    // Figure 3.1: currentTerm only grows, one vote per term; a durable commit never moves back.
    assert(hard.term >= before.term, `Hard state term moved back from ${before.term} to ${hard.term}`);
    assert(hard.term > before.term || before.vote === null || hard.vote === before.vote,
      `Hard state vote changed within term ${hard.term}`);
    assert(hard.commit >= before.commit, `Hard state commit moved back from ${before.commit} to ${hard.commit}`);
    this.db
      .statement('INSERT OR REPLACE INTO hard_state (group_id, term, vote, commit_index) VALUES (?, ?, ?, ?)')
      .run(this.group, hard.term, hard.vote, hard.commit);
    this.state.hard = hard;
  }

  /**
   * Lowers the durable commit to the last durable entry, the one move back setHardState refuses.
   * Only for a refused snapshot (node-storage.ts): the core took the commit from the snapshot's
   * index, which this log never reached. Raft's safety does not rest on the durable commit (it is
   * volatile state in the thesis's Figure 3.1, kept only to apply sooner after a restart), and the
   * entries it would have covered are relearned from the leader.
   */
  lowerCommitToLog(): void {
    this.assertInTransaction('lowerCommitToLog');
    const hard = this.state.hard;
    const last = this.state.runs.lastIndex;
    if (hard.commit <= last) return;
    this.db.statement('UPDATE hard_state SET commit_index = ? WHERE group_id = ?').run(last, this.group);
    this.state.hard = { ...hard, commit: logIndex(last) };
  }

  /**
   * Appends entries, first deleting any stored suffix from entries[0].index on. Call it before
   * `setHardState` in the same batch: it checks overwrites against the commit already durable.
   */
  append(entries: readonly LogEntry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    this.assertInTransaction('append');
    this.checkAppend(first, entries);
    const { runs } = this.state;
    if (first.index <= runs.lastIndex) {
      this.db.statement('DELETE FROM raft_log WHERE group_id = ? AND idx >= ?').run(this.group, first.index);
    }
    this.insertRows(entries);
    if (first.index - 1 < runs.coveredFrom) {
      this.reload(); // Overwrite reaches below the cached terms: rare, rebuild from SQLite.
      return;
    }
    runs.truncateAfter(first.index - 1);
    for (const entry of entries) {
      runs.append(entry.index, entry.term);
      this.state.bytesSinceSnapshot += entry.data.byteLength;
    }
    this.state.recent.append(entries);
  }

  /** One INSERT per INSERT_ROWS_MAX entries instead of one per entry: fewer calls into SQLite. */
  private insertRows(entries: readonly LogEntry[]): void {
    for (let start = 0; start < entries.length; start += INSERT_ROWS_MAX) {
      const end = Math.min(entries.length, start + INSERT_ROWS_MAX);
      const params: unknown[] = [];
      for (let i = start; i < end; i++) {
        const entry = entries[i];
        assert(entry !== undefined, `Entry ${i} missing`);
        params.push(this.group, entry.index, entry.term, entryTypeCodes[entry.type], entry.data);
      }
      this.db.statement(insertSql(end - start)).run(...params);
    }
  }

  /** Records a snapshot of applied state at `meta.index` (in `file`) and drops the log up to it. */
  compact(meta: SnapshotMeta, file: string): void {
    this.assertInTransaction('compact');
    assert(meta.index >= this.state.snapshot.index, `compact(${meta.index}) below snapshot ${this.state.snapshot.index}`);
    assert(meta.index <= this.lastIndex(), `compact(${meta.index}) past lastIndex ${this.lastIndex()}`);
    assert(this.term(meta.index) === meta.term, `compact(${meta.index}) term ${meta.term} differs from the log`);
    this.writeSnapshotRow(meta, file);
    this.state.runs.compactTo(meta.index);
    this.state.recent.compactTo(meta.index);
    this.state.snapshot = meta;
    this.state.snapshotFile = file;
    this.state.bytesSinceSnapshot = 0;
    this.purgeCompacted(storageLimits.logPurgeRowsMax);
  }

  /**
   * Deletes up to `rowsMax` of the rows a compaction left behind (at or below the snapshot index:
   * nothing reads them). Deleting 100,000 rows in one statement would hold the event loop for tens
   * of milliseconds, so the caller spreads it over its next transactions. True if it deleted any.
   */
  purgeCompacted(rowsMax: number): boolean {
    const { snapshot, purgeFrom } = this.state;
    if (purgeFrom > snapshot.index) return false;
    this.assertInTransaction('purgeCompacted');
    const upTo = Math.min(snapshot.index, purgeFrom + rowsMax - 1);
    this.db.statement('DELETE FROM raft_log WHERE group_id = ? AND idx <= ?').run(this.group, upTo);
    this.state.purgeFrom = upTo + 1;
    return true;
  }

  /** Installs a received snapshot: the log restarts after it (etcd-raft's ApplySnapshot). */
  installSnapshot(meta: SnapshotMeta, file: string): void {
    this.assertInTransaction('installSnapshot');
    assert(meta.index > this.state.snapshot.index, `installSnapshot(${meta.index}) not past snapshot ${this.state.snapshot.index}`);
    this.writeSnapshotRow(meta, file);
    this.db.statement('DELETE FROM raft_log WHERE group_id = ?').run(this.group);
    this.state.runs.reset(meta.index, meta.term);
    this.state.recent.clear();
    this.state.snapshot = meta;
    this.state.snapshotFile = file;
    this.state.purgeFrom = meta.index + 1;
    this.state.bytesSinceSnapshot = 0;
  }

  private checkAppend(first: LogEntry, entries: readonly LogEntry[]): void {
    const { snapshot, runs, hard } = this.state;
    assert(first.index > snapshot.index, `append(${first.index}) at or below snapshot ${snapshot.index}`);
    assert(first.index <= runs.lastIndex + 1, `append(${first.index}) leaves a gap after ${runs.lastIndex}`);
    const termBefore = this.term(logIndex(first.index - 1));
    assert(termBefore !== undefined, `append(${first.index}) has no term for the entry before`);
    checkContiguous(entries, termBefore);
    // Committed entries never change (Leader Completeness): rewriting one must rewrite it as is.
    const rewrittenCommittedMax = Math.min(hard.commit, runs.lastIndex, first.index + entries.length - 1);
    for (let index = first.index; index <= rewrittenCommittedMax; index++) {
      const entry = entries[index - first.index];
      assert(entry?.term === this.term(logIndex(index)), `append() would change committed entry ${index}`);
    }
  }

  private writeSnapshotRow(meta: SnapshotMeta, file: string): void {
    this.db
      .statement('INSERT OR REPLACE INTO snapshot (group_id, idx, term, conf, file) VALUES (?, ?, ?, ?, ?)')
      .run(this.group, meta.index, meta.term, confToText(meta.conf), file);
  }

  private assertInTransaction(what: string): void {
    assert(this.db.inTransaction, `SqliteLogStore.${what}() must run inside a transaction`);
  }

  private load(): LogState {
    const hardRow = this.db.statement('SELECT term, vote, commit_index FROM hard_state WHERE group_id = ?').get(this.group);
    const hard = hardRow === undefined ? this.initial.hardState : hardStateFromRow(hardRow);
    const snapRow = this.db.statement('SELECT idx, term, conf, file FROM snapshot WHERE group_id = ?').get(this.group);
    const snapshot: SnapshotMeta =
      snapRow === undefined ? this.initial.snapshot : snapshotFromRow(snapRow);
    // '' marks a split-born group whose first snapshot file is still to be produced (split-apply.ts).
    const file = snapRow === undefined ? '' : textColumn(snapRow, 'file');
    const snapshotFile = file === '' ? null : file;
    const runs = new TermRuns(storageLimits.termRunsMax, snapshot);
    let bytesSinceSnapshot = 0;
    // Rows at or below the snapshot are a compaction's leftovers, still to be purged.
    const sql = 'SELECT idx, term, length(data) AS bytes FROM raft_log WHERE group_id = ? AND idx > ? ORDER BY idx';
    for (const row of this.db.statement(sql).iterate(this.group, snapshot.index)) {
      const index = intColumn(row, 'idx');
      assert(index === runs.lastIndex + 1, `Log of group ${this.group} has a gap before ${index}`);
      runs.append(index, intColumn(row, 'term')); // asserts terms never decrease
      bytesSinceSnapshot += intColumn(row, 'bytes');
    }
    const oldest = this.db.statement('SELECT MIN(idx) AS idx FROM raft_log WHERE group_id = ?').get(this.group);
    const purgeFrom = oldest === undefined ? null : nullableIntColumn(oldest, 'idx');
    const recent = new RecentEntries(storageLimits.recentEntriesBytesMax, storageLimits.recentEntriesMax);
    return { hard, snapshot, snapshotFile, runs, purgeFrom: purgeFrom ?? snapshot.index + 1, bytesSinceSnapshot, recent };
  }
}

/** Indexes contiguous, terms non-decreasing from the term of the entry before. */
function checkContiguous(entries: readonly LogEntry[], termBefore: Term): void {
  let previousTerm: number = termBefore;
  entries.forEach((entry, i) => {
    const first = entries[0];
    assert(first !== undefined && entry.index === first.index + i, `Entries are not contiguous at ${entry.index}`);
    assert(entry.term >= previousTerm, `Entry ${entry.index} term ${entry.term} below ${previousTerm}`);
    previousTerm = entry.term;
  });
}

function entryFromRow(row: SqlRow): LogEntry {
  const code = intColumn(row, 'type');
  const type = code === entryTypeCodes.normal ? 'normal' : 'confChange';
  assert(code === entryTypeCodes[type], `Unknown log entry type code ${code}`);
  return { index: logIndex(intColumn(row, 'idx')), term: toTerm(intColumn(row, 'term')), type, data: bytesColumn(row, 'data') };
}

function hardStateFromRow(row: SqlRow): HardState {
  const vote = nullableIntColumn(row, 'vote');
  return { term: toTerm(intColumn(row, 'term')), vote: vote === null ? null : nodeId(vote), commit: logIndex(intColumn(row, 'commit_index')) };
}

function snapshotFromRow(row: SqlRow): SnapshotMeta {
  return { index: logIndex(intColumn(row, 'idx')), term: toTerm(intColumn(row, 'term')), conf: confFromText(textColumn(row, 'conf')) };
}
