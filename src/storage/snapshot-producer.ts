/**
 * Produces a group's snapshot file without stopping the node. A second, read-only connection opens
 * one read transaction: in WAL mode it sees the database as of its first read, however long it
 * stays open, while the main connection keeps committing. The producer reads the applied state
 * and then the rows in bounded batches (keyset pagination, byte order), writes each batch as one
 * record and yields to the event loop between batches, so no step blocks for long.
 *
 * The file is written as `<name>.tmp`, fsynced, renamed and the directory fsynced: a crash leaves
 * either no file or a complete one, never a torn file under the final name.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { assert } from '../shared/assert.js';
import { logIndex, term as toTerm, type GroupId } from '../shared/ids.js';
import type { ConfState, SnapshotMeta } from '../raft/types.js';
import { rangeFromRow } from './apply-state.js';
import { openReader } from './database.js';
import { yieldToEventLoop } from './event-loop.js';
import { keySuccessor, kvFromRow } from './kv-table.js';
import type { KeyValue } from './kv-types.js';
import { fsyncDirectory, removeFileIfPresent, snapshotFileName } from './snapshot-files.js';
import type { SessionRow, SnapshotHeader } from './snapshot-format.js';
import { SnapshotFileWriter } from './snapshot-stream.js';
import { bytesColumn, confFromText, intColumn, textColumn, type SqlRow } from './sql-row.js';
import { storageLimits } from './storage-limits.js';

export interface ProducedSnapshot {
  readonly group: GroupId;
  readonly meta: SnapshotMeta;
  /** File name in the snapshot directory. */
  readonly file: string;
  readonly bytes: number;
}

export async function produceSnapshot(dbPath: string, dir: string, group: GroupId, bootstrap: ConfState): Promise<ProducedSnapshot> {
  const reader = openReader(dbPath);
  try {
    reader.exec('BEGIN'); // deferred: the first SELECT fixes the view every later read sees
    const header = readHeader(reader, group, bootstrap);
    const file = snapshotFileName(group, header.meta, 'produced');
    const temporary = path.join(dir, `${file}.tmp`);
    const writer = await SnapshotFileWriter.create(temporary);
    let bytes: number;
    try {
      await writer.write({ type: 'header', header });
      await copyKvs(reader, group, writer);
      await copySessions(reader, group, writer);
      bytes = await writer.finish();
    } catch (error) {
      await writer.abort();
      removeFileIfPresent(temporary);
      throw error;
    }
    await fs.rename(temporary, path.join(dir, file));
    fsyncDirectory(dir);
    return { group, meta: header.meta, file, bytes };
  } finally {
    if (reader.inTransaction) reader.exec('COMMIT');
    reader.close();
  }
}

function get(reader: Database.Database, sql: string, ...params: unknown[]): SqlRow | undefined {
  return reader.prepare<unknown[], SqlRow>(sql).get(...params);
}

function readHeader(reader: Database.Database, group: GroupId, bootstrap: ConfState): SnapshotHeader {
  const staging = get(reader, 'SELECT installing FROM snapshot_staging WHERE group_id = ?', group);
  assert(staging === undefined || intColumn(staging, 'installing') === 0, `Cannot snapshot group ${group}: an install is under way`);
  const state = get(reader, 'SELECT applied, conf, revision, clock_ms, range_start, range_end FROM apply_state WHERE group_id = ?', group);
  const applied = state === undefined ? 0 : intColumn(state, 'applied');
  const conf = state === undefined ? bootstrap : confFromText(textColumn(state, 'conf'));
  const meta: SnapshotMeta = { index: logIndex(applied), term: toTerm(termAt(reader, group, applied)), conf };
  const revision = state === undefined ? 0 : intColumn(state, 'revision');
  return { group, meta, revision, clockMs: state === undefined ? 0 : intColumn(state, 'clock_ms'), range: state === undefined ? null : rangeFromRow(state) };
}

/** Term of the applied entry: in the log, or the current snapshot's when nothing was applied since. */
function termAt(reader: Database.Database, group: GroupId, index: number): number {
  if (index === 0) return 0;
  const entry = get(reader, 'SELECT term FROM raft_log WHERE group_id = ? AND idx = ?', group, index);
  if (entry !== undefined) return intColumn(entry, 'term');
  const snapshot = get(reader, 'SELECT idx, term FROM snapshot WHERE group_id = ?', group);
  assert(snapshot !== undefined && intColumn(snapshot, 'idx') === index, `No term for applied index ${index} of group ${group}`);
  return intColumn(snapshot, 'term');
}

async function copyKvs(reader: Database.Database, group: GroupId, writer: SnapshotFileWriter): Promise<void> {
  const sql = `SELECT key, value, create_revision, mod_revision, version FROM kv
    WHERE group_id = ? AND key >= ? ORDER BY key LIMIT ?`;
  const statement = reader.prepare<unknown[], SqlRow>(sql);
  let lower: Uint8Array = new Uint8Array(0);
  for (;;) {
    const rows: KeyValue[] = [];
    let bytes = 0;
    for (const row of statement.iterate(group, lower, storageLimits.snapshotBatchRowsMax)) {
      const kv = kvFromRow(row);
      rows.push(kv);
      bytes += kv.key.byteLength + kv.value.byteLength;
      if (bytes >= storageLimits.snapshotBatchBytesMax) break;
    }
    const last = rows[rows.length - 1];
    if (last === undefined) return;
    await writer.write({ type: 'kvs', rows });
    lower = keySuccessor(last.key);
    await yieldToEventLoop();
  }
}

async function copySessions(reader: Database.Database, group: GroupId, writer: SnapshotFileWriter): Promise<void> {
  const sql = 'SELECT id, seq, result, last_seen_ms FROM session WHERE group_id = ? AND id > ? ORDER BY id LIMIT ?';
  const statement = reader.prepare<unknown[], SqlRow>(sql);
  let after = '';
  for (;;) {
    const rows = statement.all(group, after, storageLimits.snapshotBatchRowsMax).map(
      (row): SessionRow => ({ id: textColumn(row, 'id'), seq: intColumn(row, 'seq'), result: bytesColumn(row, 'result'), lastSeenMs: intColumn(row, 'last_seen_ms') }),
    );
    const last = rows[rows.length - 1];
    if (last === undefined) return;
    await writer.write({ type: 'sessions', rows });
    after = last.id;
    await yieldToEventLoop();
  }
}
