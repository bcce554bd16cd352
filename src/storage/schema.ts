/**
 * The node's SQLite schema. Every table is keyed by `group_id` first, so one database holds all
 * Raft groups on the node and one transaction can cover many of them (group commit).
 *
 * Keys and values are BLOBs; SQLite compares BLOBs with memcmp, so `ORDER BY key` is byte order.
 * Tables are WITHOUT ROWID: lookups and range scans go straight down the primary-key B-tree.
 */
import { assert } from '../shared/assert.js';
import type Database from 'better-sqlite3';
import { intColumn, type SqlRow } from './sql-row.js';

export const schemaVersion = 2;

const schemaV1 = `
CREATE TABLE raft_log (
  group_id INTEGER NOT NULL, idx INTEGER NOT NULL, term INTEGER NOT NULL,
  type INTEGER NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (group_id, idx)) WITHOUT ROWID;
CREATE TABLE hard_state (
  group_id INTEGER PRIMARY KEY, term INTEGER NOT NULL, vote INTEGER, commit_index INTEGER NOT NULL);
-- The snapshot the log starts after; file names its bytes in the snapshot directory.
CREATE TABLE snapshot (
  group_id INTEGER PRIMARY KEY, idx INTEGER NOT NULL, term INTEGER NOT NULL,
  conf TEXT NOT NULL, file TEXT NOT NULL);
-- A snapshot being received (bytes durable so far), then being installed (installing = 1).
CREATE TABLE snapshot_staging (
  group_id INTEGER PRIMARY KEY, idx INTEGER NOT NULL, term INTEGER NOT NULL, conf TEXT NOT NULL,
  file TEXT NOT NULL, bytes INTEGER NOT NULL, done INTEGER NOT NULL, installing INTEGER NOT NULL);
-- Written in the same transaction as the entries it covers: applied never runs ahead or behind.
CREATE TABLE apply_state (
  group_id INTEGER PRIMARY KEY, applied INTEGER NOT NULL, conf TEXT NOT NULL,
  revision INTEGER NOT NULL, clock_ms INTEGER NOT NULL);

CREATE TABLE kv (
  group_id INTEGER NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL,
  create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL, version INTEGER NOT NULL,
  PRIMARY KEY (group_id, key)) WITHOUT ROWID;
CREATE TABLE session (
  group_id INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, result BLOB NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (group_id, id)) WITHOUT ROWID;
CREATE INDEX session_by_last_seen ON session (group_id, last_seen_ms, id);
`;

/**
 * Version 2: a data group's ring range (its descriptor; NULL for the meta or an unsharded group),
 * settings a node must keep for life (how many groups its cluster was founded with), and
 * tombstones of replicas this node deleted (src/server/replica-gc.ts).
 */
const migrateToV2 = `
ALTER TABLE apply_state ADD COLUMN range_start INTEGER;
ALTER TABLE apply_state ADD COLUMN range_end INTEGER;
CREATE TABLE node_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tombstone (group_id INTEGER PRIMARY KEY, term INTEGER NOT NULL, applied INTEGER NOT NULL);
`;

/** Creates the schema in a fresh database, or checks the version of an existing one. */
export function ensureSchema(sqlite: Database.Database): void {
  sqlite.transaction(() => {
    sqlite.exec('CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)');
    const row = sqlite.prepare<[], SqlRow>('SELECT version FROM schema_version WHERE id = 1').get();
    if (row === undefined) {
      sqlite.exec(schemaV1);
      sqlite.exec(migrateToV2);
      sqlite.prepare('INSERT INTO schema_version (id, version) VALUES (1, ?)').run(schemaVersion);
      return;
    }
    // One migration step per version, each in this same transaction.
    if (intColumn(row, 'version') === 1) {
      sqlite.exec(migrateToV2);
      sqlite.prepare('UPDATE schema_version SET version = 2 WHERE id = 1').run();
    }
    const found = intColumn(sqlite.prepare<[], SqlRow>('SELECT version FROM schema_version WHERE id = 1').get() ?? {}, 'version');
    assert(found === schemaVersion, `Cannot open database: schema version ${found}, this build knows ${schemaVersion}`);
  }).immediate();
}
