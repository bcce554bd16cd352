/**
 * Installs a fully received snapshot file into a group's tables. See snapshot-store.ts for why
 * this runs as several bounded transactions and how a crash at any point is recovered.
 */
import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';
import type { SnapshotMeta } from '../raft/types.js';
import { writeApplyState } from './apply-state.js';
import type { StorageDatabase } from './database.js';
import { yieldToEventLoop } from './event-loop.js';
import type { KvStateMachine } from './kv-state-machine.js';
import type { KeyValue } from './kv-types.js';
import type { SqliteLogStore } from './raft-log-store.js';
import type { SessionRow, SnapshotHeader } from './snapshot-format.js';
import { SnapshotFileError, SnapshotFileReader } from './snapshot-stream.js';
import { confToText } from './sql-row.js';
import { storageLimits } from './storage-limits.js';

export interface InstallTarget {
  readonly db: StorageDatabase;
  readonly group: GroupId;
  readonly log: SqliteLogStore;
  readonly kv: KvStateMachine;
}

/** `file` (in the snapshot directory) holds a complete snapshot whose meta is `meta`. */
export async function installSnapshotFile(target: InstallTarget, meta: SnapshotMeta, file: string): Promise<void> {
  const { db, group, log, kv } = target;
  const fullPath = path.join(db.snapshotDir, file);
  // 1. Read the whole file once: digest, counts and header are checked before any table changes.
  // The founders' bootstrap snapshot (src/raft/bootstrap.ts) has no file and travels as zero
  // bytes: it stands for the empty state with the founding membership.
  const empty = isBootstrapSnapshot(fullPath, meta);
  const header = empty ? { revision: 0, clockMs: 0, range: null } : await verifyFile(fullPath, group, meta);
  // 2. Durable marker: from here until step 5 the group's keys may be partly replaced.
  db.transaction(() => db.statement('UPDATE snapshot_staging SET installing = 1 WHERE group_id = ?').run(group));
  kv.reload();
  // 3 and 4. Replace keys and sessions, one bounded transaction per step, yielding in between.
  // These commits skip their fsync: a crash before step 5 redoes them anyway, and step 5's fsync
  // makes them durable along with it.
  await clearGroup(db, group);
  if (!empty) await copyRecords(db, group, fullPath);
  // 5. Commit point: applied state, log snapshot and the end of staging, all in one transaction.
  try {
    db.transaction(() => {
      writeApplyState(db, group, { applied: meta.index, conf: meta.conf, revision: header.revision, clockMs: header.clockMs, range: header.range });
      log.installSnapshot(meta, file);
      db.statement('DELETE FROM snapshot_staging WHERE group_id = ?').run(group);
    });
  } catch (error) {
    log.reload();
    throw error;
  }
  kv.reload();
}

function isBootstrapSnapshot(fullPath: string, meta: SnapshotMeta): boolean {
  if (fs.statSync(fullPath).size !== 0) return false;
  if (meta.index !== 1) throw new SnapshotFileError(`Snapshot file ${fullPath} is empty but its index is ${meta.index}, not the bootstrap index 1`);
  return true;
}

/**
 * Checks the whole file before any table changes: framing, digest and counts (the reader), the
 * header against the meta the leader sent, and every row as copyRecords will insert it. A received
 * file comes from a peer, so a failure is a SnapshotFileError (a refusal), never an assert.
 */
export async function verifyFile(fullPath: string, group: GroupId, meta: SnapshotMeta): Promise<SnapshotHeader> {
  const refuse = (why: string): never => {
    throw new SnapshotFileError(`Snapshot file ${fullPath} ${why}`);
  };
  const reader = await SnapshotFileReader.open(fullPath);
  try {
    const first = await reader.next();
    if (first.type !== 'header') return refuse('does not start with a header');
    const { header } = first;
    if (header.group !== group) refuse(`is of group ${header.group}, not ${group}`);
    if (header.meta.index !== meta.index || header.meta.term !== meta.term) refuse('index or term differs from its meta');
    if (confToText(header.meta.conf) !== confToText(meta.conf)) refuse('membership differs from its meta');
    let previousKey: Uint8Array | null = null;
    for (let record = await reader.next(); record.type !== 'trailer'; record = await reader.next()) {
      if (record.type === 'header') refuse('has a second header');
      if (record.type === 'kvs') {
        const problem = kvRowsProblem(record.rows, previousKey);
        if (problem !== null) refuse(problem);
        previousKey = record.rows[record.rows.length - 1]?.key ?? previousKey;
      }
      if (record.type === 'sessions' && !record.rows.every(isValidSession)) refuse('has an invalid session row');
      await yieldToEventLoop();
    }
    return header;
  } finally {
    await reader.close();
  }
}

/** Why rows cannot be inserted after `after` (keys strictly ascending, valid revisions), or null. */
function kvRowsProblem(rows: readonly KeyValue[], after: Uint8Array | null): string | null {
  let previous = after;
  for (const kv of rows) {
    if (previous !== null && Buffer.compare(previous, kv.key) >= 0) return 'has keys out of ascending order';
    if (!isValidRow(kv)) return 'has an invalid key row';
    previous = kv.key;
  }
  return null;
}

const isValidRow = (kv: KeyValue): boolean => kv.key.byteLength > 0 && kv.version >= 1 && kv.createRevision >= 1 && kv.createRevision <= kv.modRevision;
const isValidSession = (s: SessionRow): boolean => s.id.length > 0 && s.seq >= 1;

async function clearGroup(db: StorageDatabase, group: GroupId): Promise<void> {
  const batch = storageLimits.installDeleteRowsMax;
  const sql = 'DELETE FROM kv WHERE group_id = ? AND key IN (SELECT key FROM kv WHERE group_id = ? ORDER BY key LIMIT ?)';
  for (;;) {
    const deleted = db.transactionUnsynced(() => db.statement(sql).run(group, group, batch).changes);
    if (deleted < batch) break;
    await yieldToEventLoop();
  }
  // Sessions per group are bounded by sessionsMax, so one statement stays short.
  db.transactionUnsynced(() => db.statement('DELETE FROM session WHERE group_id = ?').run(group));
}

async function copyRecords(db: StorageDatabase, group: GroupId, fullPath: string): Promise<void> {
  const reader = await SnapshotFileReader.open(fullPath);
  try {
    let previousKey: Uint8Array | null = null;
    for (let record = await reader.next(); record.type !== 'trailer'; record = await reader.next()) {
      if (record.type === 'kvs') {
        const rows = record.rows;
        const after = previousKey;
        db.transactionUnsynced(() => insertKvs(db, group, rows, after));
        previousKey = rows[rows.length - 1]?.key ?? previousKey;
      } else if (record.type === 'sessions') {
        const rows = record.rows;
        db.transactionUnsynced(() => insertSessions(db, group, rows));
      }
      await yieldToEventLoop();
    }
  } finally {
    await reader.close();
  }
}

function insertKvs(db: StorageDatabase, group: GroupId, rows: readonly KeyValue[], after: Uint8Array | null): void {
  const insert = db.statement('INSERT INTO kv (group_id, key, value, create_revision, mod_revision, version) VALUES (?, ?, ?, ?, ?, ?)');
  let previous = after;
  for (const kv of rows) {
    // verifyFile refused any file breaking these; they hold here, checked again on this side of the write.
    assert(previous === null || Buffer.compare(previous, kv.key) < 0, 'Snapshot keys are not in ascending order');
    assert(isValidRow(kv), 'Snapshot row is invalid');
    insert.run(group, kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version);
    previous = kv.key;
  }
}

function insertSessions(db: StorageDatabase, group: GroupId, rows: readonly SessionRow[]): void {
  const insert = db.statement('INSERT INTO session (group_id, id, seq, result, last_seen_ms) VALUES (?, ?, ?, ?, ?)');
  for (const s of rows) {
    assert(isValidSession(s), 'Snapshot session row is invalid');
    insert.run(group, s.id, s.seq, s.result, s.lastSeenMs);
  }
}
