/**
 * Everything a node keeps on disk, for all its Raft groups, in one SQLite database. The driver
 * uses it as follows (src/raft/ready.ts gives the order):
 *   - `persistBatch` once per round of Ready batches, covering every group that has something to
 *     persist: hard states, entries and snapshot chunks of many groups in ONE transaction, so the
 *     node pays one WAL fsync per round instead of one per group (group commit);
 *   - `installSnapshot` when a persisted chunk was the last one, then `group(id).kv.apply(...)`;
 *   - `produceSnapshot` + `compact` to bound the log.
 */
import type { InitialState } from '../raft/bootstrap.js';
import path from 'node:path';
import { assert } from '../shared/assert.js';
import { groupId, type GroupId } from '../shared/ids.js';
import { confToText, intColumn, textColumn } from './sql-row.js';
import type { HardState, LogEntry, SnapshotChunk, SnapshotMeta } from '../raft/types.js';
import { mustSync } from '../raft/ready.js';
import { DataFileError, StorageDatabase } from './database.js';
import type { RingBounds } from './apply-state.js';
import { KvStateMachine, type KvStateMachineOptions } from './kv-state-machine.js';
import { checkStructure } from './integrity.js';
import type { ProducedSnapshot } from './snapshot-producer.js';
import { SqliteLogStore } from './raft-log-store.js';
import { removeFileIfPresent } from './snapshot-files.js';
import { SnapshotStore, type StagedSnapshot } from './snapshot-store.js';
import { SnapshotFileError } from './snapshot-stream.js';
import { verifyFile } from './snapshot-installer.js';
import { storageLimits } from './storage-limits.js';

export interface NodeStorageOptions {
  /** The database file; snapshot files go to `${path}.snapshots/`. */
  readonly path: string;
  readonly kv: KvStateMachineOptions;
}

export interface GroupStorage {
  readonly log: SqliteLogStore;
  readonly kv: KvStateMachine;
  readonly initial: InitialState;
}

/** What one group's Ready asks to persist. */
export interface PersistItem {
  readonly group: GroupId;
  readonly hardState?: HardState;
  readonly entries: readonly LogEntry[];
  readonly snapshotChunk?: SnapshotChunk;
}

/**
 * A deleted replica: messages of the group below `term` are ignored, and a new replica here
 * grants no vote until its log reaches `applied` (src/raft/config.ts, voteFloor).
 */
export interface Tombstone {
  readonly term: number;
  readonly applied: number;
}

/** Every table with per-group rows (src/storage/schema.ts). */
const GROUP_TABLES = ['raft_log', 'hard_state', 'snapshot', 'snapshot_staging', 'apply_state', 'kv', 'session'] as const;

export class NodeStorage {
  private readonly groups = new Map<GroupId, GroupStorage>();
  private readonly producing = new Set<GroupId>();
  private readonly snapshots: SnapshotStore;

  private constructor(
    readonly db: StorageDatabase,
    private readonly kvOptions: KvStateMachineOptions,
  ) {
    this.snapshots = new SnapshotStore(db);
  }

  /** Opens the database and checks its structure first (integrity.ts): a corrupt file refuses to start. */
  static open(options: NodeStorageOptions): NodeStorage {
    const db = StorageDatabase.open(options.path);
    try {
      checkStructure(db.sqlite, options.path);
    } catch (error) {
      db.close();
      throw error;
    }
    return new NodeStorage(db, options.kv);
  }

  /**
   * Loads a group (creating nothing until its first write) and finishes what a crash interrupted:
   * cuts a partly received snapshot back to its durable size, or completes a snapshot install.
   */
  async openGroup(group: GroupId, initial: InitialState, range: RingBounds | null = null): Promise<GroupStorage> {
    try {
      return await this.openGroupUnchecked(group, initial, range);
    } catch (error) {
      // A damaged page may only show when a group's rows are first read (the header was fine).
      throw DataFileError.from(this.db.path, error) ?? error;
    }
  }

  private async openGroupUnchecked(group: GroupId, initial: InitialState, range: RingBounds | null): Promise<GroupStorage> {
    assert(!this.groups.has(group), `Group ${group} is already open`);
    const storage: GroupStorage = {
      log: new SqliteLogStore(this.db, group, initial),
      kv: new KvStateMachine(this.db, group, initial, this.kvOptions, range),
      initial,
    };
    this.groups.set(group, storage);
    this.snapshots.recoverStaging(group);
    if (this.snapshots.staged(group)?.done === true) await this.installReceivedAtOpen(group);
    // Snapshots are taken of applied state and installed with it, so applied never lags one.
    const { kv, log } = storage;
    assert(kv.appliedIndex() >= log.snapshotMeta().index, `Group ${group} applied ${kv.appliedIndex()} is below its snapshot ${log.snapshotMeta().index}`);
    this.snapshots.removeUnreferenced(group, log.snapshotFileName(), true);
    return storage;
  }

  /**
   * Gives a data group whose snapshot has no file yet (a founder's bootstrap, a split-born child)
   * a real snapshot file of its applied state, so that a replica caught up by snapshot receives
   * the group's range and keys rather than an empty bootstrap.
   */
  async ensureSnapshotFile(group: GroupId): Promise<void> {
    const { log, kv } = this.group(group);
    if (log.snapshotFileName() !== null || kv.appliedIndex() < 1 || kv.descriptor() === null) return;
    kv.persistInitialState();
    // A founder's bootstrap snapshot lives only in memory until now; the producer reads its term here.
    const meta = log.snapshotMeta();
    this.db.transaction(() => this.db.statement("INSERT OR IGNORE INTO snapshot (group_id, idx, term, conf, file) VALUES (?, ?, ?, ?, '')")
      .run(group, meta.index, meta.term, confToText(meta.conf)));
    this.compact(await this.produceSnapshot(group), true);
  }

  /** Forgets an open group without touching its rows (to reopen it after they changed underneath). */
  closeGroup(group: GroupId): void {
    this.groups.delete(group);
  }

  /**
   * The value this node first ran with for a setting that must never change (e.g. the number of
   * groups its cluster was founded with): records `value` the first time, returns what is stored.
   */
  settleSetting(name: string, value: string): string {
    this.db.transaction(() => this.db.statement('INSERT OR IGNORE INTO node_setting (name, value) VALUES (?, ?)').run(name, value));
    const row = this.db.statement('SELECT value FROM node_setting WHERE name = ?').get(name);
    return row === undefined ? value : textColumn(row, 'value');
  }

  /** Groups with anything durable on this node (a restarted node reopens exactly these). */
  storedGroups(): GroupId[] {
    const sql = 'SELECT group_id FROM hard_state UNION SELECT group_id FROM snapshot UNION SELECT group_id FROM apply_state ORDER BY group_id';
    return this.db.statement(sql).all().map((row) => groupId(intColumn(row, 'group_id')));
  }

  group(group: GroupId): GroupStorage {
    const storage = this.groups.get(group);
    assert(storage !== undefined, `Group ${group} is not open`);
    return storage;
  }

  /** Persists the Ready output of many groups in one transaction (one fsync). */
  /** Returns whether the commit was fsynced (a round that only moves commit indexes is not). */
  persistBatch(items: readonly PersistItem[]): boolean {
    const seen = new Set<GroupId>();
    for (const item of items) {
      assert(!seen.has(item.group), `persistBatch() got group ${item.group} twice`);
      seen.add(item.group);
    }
    const obsolete: string[] = [];
    // A round that only moves commit indexes skips the fsync (src/raft/ready.ts, mustSync): WAL
    // order still puts it before the apply transaction that follows it and any later commit.
    const sync = items.some((item) => this.mustSync(item));
    const write = (): void => {
      for (const item of items) obsolete.push(...this.persistItem(item));
      // One chunk of a compaction's leftover rows per round, node-wide (purgeCompacted).
      for (const item of items) if (this.group(item.group).log.purgeCompacted(storageLimits.logPurgeRowsMax)) break;
    };
    try {
      if (sync) this.db.transaction(write);
      else this.db.transactionUnsynced(write);
    } catch (error) {
      for (const group of seen) this.groups.get(group)?.log.reload();
      throw error;
    }
    for (const file of obsolete) removeFileIfPresent(path.join(this.db.snapshotDir, file));
    return sync;
  }

  /** Stages a complete snapshot file of a group not opened yet; openGroup then installs it. */
  stageSnapshotFile(group: GroupId, meta: SnapshotMeta, file: string, bytes: number): void {
    assert(!this.groups.has(group), `Cannot stage a snapshot file for open group ${group}`);
    this.snapshots.stageFile(group, meta, file, bytes);
  }

  stagedSnapshot(group: GroupId): StagedSnapshot | undefined {
    return this.snapshots.staged(group);
  }

  /**
   * Installs the group's fully received snapshot (Ready step 3). The driver persists and applies
   * nothing for this group until it resolves (other groups carry on).
   */
  async installSnapshot(group: GroupId): Promise<void> {
    const { log, kv } = this.group(group);
    const previous = log.snapshotFileName();
    try {
      await this.snapshots.install({ db: this.db, group, log, kv });
    } catch (error) {
      // A received file that fails its checks is refused before any table changes: forget it.
      // The commit the core took from it goes too: this log never reached it.
      if (error instanceof SnapshotFileError && this.snapshots.staged(group)?.installing !== true) this.snapshots.dropStaged(group, () => log.lowerCommitToLog());
      throw error;
    }
    if (previous !== null) removeFileIfPresent(path.join(this.db.snapshotDir, previous));
  }

  /**
   * A snapshot received completely before a restart is installed at open. One that fails its
   * checks is dropped (installSnapshot) and the group opens at its state before it: its leader
   * sends a snapshot again.
   */
  private async installReceivedAtOpen(group: GroupId): Promise<void> {
    try {
      await this.installSnapshot(group);
    } catch (error) {
      if (!(error instanceof SnapshotFileError) || this.snapshots.staged(group) !== undefined) throw error;
    }
  }

  /**
   * Reads the group's own snapshot file through, with every check an install makes; throws
   * SnapshotFileError if it fails them. A file damaged at rest would otherwise be sent to every
   * follower that needs a snapshot, and each would refuse it (node-host.ts checks at open).
   */
  async checkOwnSnapshot(group: GroupId): Promise<void> {
    const { log } = this.group(group);
    const file = log.snapshotFileName();
    if (file === null || file === '') return;
    await verifyFile(path.join(this.db.snapshotDir, file), group, log.snapshotMeta());
  }

  /** Writes a snapshot of the group's applied state to a file, without blocking the event loop. */
  async produceSnapshot(group: GroupId): Promise<ProducedSnapshot> {
    assert(!this.producing.has(group), `A snapshot of group ${group} is already being produced`);
    this.producing.add(group);
    try {
      return await this.snapshots.produce(group, this.group(group).initial.snapshot.conf);
    } finally {
      this.producing.delete(group);
    }
  }

  /**
   * Makes a produced snapshot the group's snapshot and drops the log up to it. Returns false (and
   * deletes the file) when a received snapshot is being or was installed meanwhile: it replaces
   * the whole state, so this older one is useless.
   */
  compact(produced: ProducedSnapshot, replaceFileless = false): boolean {
    const { log, kv } = this.group(produced.group);
    const previous = log.snapshotFileName();
    const fillsIn = replaceFileless && previous === null && produced.meta.index === log.snapshotMeta().index;
    if (kv.isInstalling() || (produced.meta.index <= log.snapshotMeta().index && !fillsIn)) {
      if (produced.file !== previous) removeFileIfPresent(path.join(this.db.snapshotDir, produced.file));
      return false;
    }
    try {
      this.db.transaction(() => log.compact(produced.meta, produced.file));
    } catch (error) {
      log.reload();
      throw error;
    }
    if (previous !== null) removeFileIfPresent(path.join(this.db.snapshotDir, previous));
    return true;
  }

  /**
   * Deletes everything this node keeps for a group: used when its replica here was removed from
   * the group (src/server/replica-gc.ts decides that safely). The caller stops the group first.
   */
  destroyGroup(group: GroupId, tombstone: Tombstone): void {
    assert(!this.producing.has(group), `Cannot destroy group ${group} while a snapshot of it is produced`);
    this.groups.delete(group);
    this.db.transaction(() => {
      for (const table of GROUP_TABLES) this.db.statement(`DELETE FROM ${table} WHERE group_id = ?`).run(group);
      this.db.statement('INSERT OR REPLACE INTO tombstone (group_id, term, applied) VALUES (?, ?, ?)').run(group, tombstone.term, tombstone.applied);
    });
    this.snapshots.removeUnreferenced(group, null, true);
  }

  /** What this node recorded when it deleted its replica of `group` (src/server/replica-gc.ts), if it did. */
  tombstone(group: GroupId): Tombstone | undefined {
    const row = this.db.statement('SELECT term, applied FROM tombstone WHERE group_id = ?').get(group);
    return row === undefined ? undefined : { term: intColumn(row, 'term'), applied: intColumn(row, 'applied') };
  }

  close(): void {
    this.groups.clear();
    this.db.close();
  }

  private mustSync(item: PersistItem): boolean {
    const durable = this.group(item.group).log.hardState();
    return mustSync(durable, item.hardState, item.entries.length, item.snapshotChunk !== undefined);
  }

  private persistItem(item: PersistItem): string[] {
    const { log, kv } = this.group(item.group);
    assert(!kv.isInstalling(), `Cannot persist for group ${item.group}: a snapshot install is under way`);
    let obsolete: string[] = [];
    if (item.snapshotChunk !== undefined) {
      const index = item.snapshotChunk.meta.index;
      assert(index > log.snapshotMeta().index, `Snapshot chunk at ${index} is not past the snapshot of group ${item.group}`);
      obsolete = this.snapshots.stage(item.group, item.snapshotChunk);
    }
    // Entries before the hard state: append() checks overwrites against the commit already durable.
    log.append(item.entries);
    if (item.hardState !== undefined) log.setHardState(item.hardState);
    return obsolete;
  }
}
