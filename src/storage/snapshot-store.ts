/**
 * Snapshots of a group: producing, serving, receiving and installing them.
 *
 * Produce (snapshot-producer.ts). A read-only second connection holds one WAL read transaction, so
 * it sees the group frozen at one applied index while the node keeps writing. Rows are read in
 * bounded batches and written as bounded records to `g<group>-i<index>-t<term>.snap.tmp`, yielding
 * to the event loop between batches; then fsync, rename, fsync of the directory. The driver then
 * calls NodeStorage.compact, which records the file in the `snapshot` row and drops the log up to
 * that index in one transaction; the previous file is deleted only after that commit.
 *
 * Serve. SqliteLogStore.snapshotChunk reads the file named by the `snapshot` row synchronously
 * (the LogReader contract), one bounded chunk per call.
 *
 * Receive (`stage`). Chunks go to `...recv`, written at their offset and fsynced before the
 * persist transaction that records `bytes` in `snapshot_staging` commits; that row is the truth.
 * Offsets are checked: a chunk must start at 0 (a new snapshot, or the same one again) or at or
 * below the recorded size of the snapshot being received. After a crash the file is cut back to
 * the recorded size (bytes past it were never acknowledged).
 *
 * Install (snapshot-installer.ts). One transaction over all keys would block the event loop for
 * the whole install (better-sqlite3 is synchronous), and holding it open across awaits on the one
 * connection would sweep other groups' commits into it. So the install is a sequence of bounded
 * transactions made crash-safe by a marker:
 *   1. read the whole file once, checking its sha256, counts and header (no table changes);
 *   2. set `snapshot_staging.installing = 1` (durable marker: keys may now be partial; the state
 *      machine refuses reads and applies for the group while it is set);
 *   3. delete the group's keys in bounded transactions, then its sessions;
 *   4. insert the file's records, one transaction per record;
 *   5. in ONE transaction: write the applied index, membership, revision and clock, record the
 *      file as the group's snapshot, empty the log, delete the staging row.
 * Steps 3 and 4 commit without an fsync (StorageDatabase.transactionUnsynced): a 1M-key install
 * would otherwise pay about a thousand fsyncs, each one blocking the event loop. The WAL makes
 * what survives a crash a prefix of the commits, so any of those writes that survive come after
 * the durable marker, and step 5's fsync makes them all durable with it.
 * A crash before 5 leaves the old applied index and the staging row (done, maybe installing):
 * NodeStorage.openGroup runs steps 1-5 again from scratch, which is idempotent. A crash after 5 is
 * an installed snapshot. The applied index is written last, so it never claims keys not on disk.
 */
import path from 'node:path';
import { assert } from '../shared/assert.js';
import { logIndex, term as toTerm, type GroupId } from '../shared/ids.js';
import type { ConfState, SnapshotChunk, SnapshotMeta } from '../raft/types.js';
import type { StorageDatabase } from './database.js';
import { installSnapshotFile, type InstallTarget } from './snapshot-installer.js';
import { produceSnapshot, type ProducedSnapshot } from './snapshot-producer.js';
import { removeFileIfPresent, removeUnreferencedFiles, snapshotFileName, truncateFile, writeFileChunkDurably } from './snapshot-files.js';
import { confFromText, confToText, intColumn, textColumn } from './sql-row.js';

export interface StagedSnapshot {
  readonly meta: SnapshotMeta;
  readonly file: string;
  /** Bytes durably received. */
  readonly bytes: number;
  /** The last chunk arrived: the file is complete and waits to be installed. */
  readonly done: boolean;
  /** An install started and did not finish. */
  readonly installing: boolean;
}

export class SnapshotStore {
  constructor(private readonly db: StorageDatabase) {}

  staged(group: GroupId): StagedSnapshot | undefined {
    const sql = 'SELECT idx, term, conf, file, bytes, done, installing FROM snapshot_staging WHERE group_id = ?';
    const row = this.db.statement(sql).get(group);
    if (row === undefined) return undefined;
    const staged: StagedSnapshot = {
      meta: { index: logIndex(intColumn(row, 'idx')), term: toTerm(intColumn(row, 'term')), conf: confFromText(textColumn(row, 'conf')) },
      file: textColumn(row, 'file'),
      bytes: intColumn(row, 'bytes'),
      done: intColumn(row, 'done') === 1,
      installing: intColumn(row, 'installing') === 1,
    };
    assert(!staged.installing || staged.done, 'A snapshot is being installed before it was fully received');
    return staged;
  }

  /**
   * Writes a received chunk (fsynced now) and records it in the caller's transaction. Returns the
   * files this makes obsolete; delete them only after that transaction commits.
   */
  stage(group: GroupId, chunk: SnapshotChunk): string[] {
    assert(this.db.inTransaction, 'SnapshotStore.stage() must run inside a transaction');
    const staged = this.staged(group);
    assert(staged === undefined || !staged.installing, `Cannot receive a snapshot chunk for group ${group}: an install is under way`);
    const file = snapshotFileName(group, chunk.meta, 'received');
    const isSame = staged !== undefined && staged.file === file && confToText(staged.meta.conf) === confToText(chunk.meta.conf);
    const receivedBytes = isSame ? staged.bytes : 0;
    assert(chunk.offset <= receivedBytes, `Snapshot chunk at offset ${chunk.offset} leaves a gap after ${receivedBytes} bytes`);
    writeFileChunkDurably(path.join(this.db.snapshotDir, file), chunk.offset, chunk.data);
    const sql = `INSERT OR REPLACE INTO snapshot_staging (group_id, idx, term, conf, file, bytes, done, installing)
      VALUES (?, ?, ?, ?, ?, ?, ?, 0)`;
    const { meta } = chunk;
    this.db.statement(sql).run(group, meta.index, meta.term, confToText(meta.conf), file, chunk.offset + chunk.data.byteLength, chunk.done ? 1 : 0);
    return staged !== undefined && staged.file !== file ? [staged.file] : [];
  }

  /**
   * Records a complete snapshot file already in the snapshot directory (written and fsynced by the
   * caller) as received, so the next openGroup installs it: how `raftkv restore` loads a group.
   */
  stageFile(group: GroupId, meta: SnapshotMeta, file: string, bytes: number): void {
    assert(this.staged(group) === undefined, `Group ${group} already has a staged snapshot`);
    const sql = `INSERT INTO snapshot_staging (group_id, idx, term, conf, file, bytes, done, installing) VALUES (?, ?, ?, ?, ?, ?, 1, 0)`;
    this.db.transaction(() => this.db.statement(sql).run(group, meta.index, meta.term, confToText(meta.conf), file, bytes));
  }

  /**
   * Forgets a staged snapshot that failed its checks before its install began (no table was
   * touched): the group stays at its state before it, and the leader sends a snapshot again.
   */
  dropStaged(group: GroupId, alsoInTransaction: () => void = () => undefined): void {
    const staged = this.staged(group);
    if (staged === undefined) return;
    assert(!staged.installing, `Cannot drop the snapshot of group ${group}: its install has begun`);
    this.db.transaction(() => {
      this.db.statement('DELETE FROM snapshot_staging WHERE group_id = ?').run(group);
      alsoInTransaction();
    });
    removeFileIfPresent(path.join(this.db.snapshotDir, staged.file));
  }

  /** After a restart: drops staged bytes that no committed transaction recorded. */
  recoverStaging(group: GroupId): void {
    const staged = this.staged(group);
    if (staged !== undefined) truncateFile(path.join(this.db.snapshotDir, staged.file), staged.bytes);
  }

  produce(group: GroupId, bootstrap: ConfState): Promise<ProducedSnapshot> {
    return produceSnapshot(this.db.path, this.db.snapshotDir, group, bootstrap);
  }

  /** Installs the fully received staged snapshot of the target's group. */
  async install(target: InstallTarget): Promise<void> {
    const staged = this.staged(target.group);
    assert(staged !== undefined && staged.done, `Group ${target.group} has no complete snapshot to install`);
    await installSnapshotFile(target, staged.meta, staged.file);
  }

  /** Deletes the group's files that are neither its snapshot nor its staged snapshot. */
  removeUnreferenced(group: GroupId, snapshotFile: string | null, includeTemporary: boolean): void {
    const keep = new Set<string>();
    if (snapshotFile !== null) keep.add(snapshotFile);
    const staged = this.staged(group);
    if (staged !== undefined) keep.add(staged.file);
    removeUnreferencedFiles(this.db.snapshotDir, group, keep, includeTemporary);
  }
}
