// Shared fixtures for the storage tests: temp databases, entries and commands.
import type { InitialState } from '../../../src/raft/bootstrap.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { groupId, logIndex, nodeId, term, type GroupId } from '../../../src/shared/ids.js';
import type { ConfState, LogEntry } from '../../../src/raft/types.js';
import { NodeStorage } from '../../../src/storage/node-storage.js';
import type { KvCommand } from '../../../src/storage/kv-command.js';
import { encodeKvCommand } from '../../../src/storage/kv-command-codec.js';
import type { StorageDatabase } from '../../../src/storage/database.js';
import type { SqlRow } from '../../../src/storage/sql-row.js';

export const g1: GroupId = groupId(1);
export const g2: GroupId = groupId(2);
export const bootstrapConf: ConfState = { voters: [nodeId(1), nodeId(2), nodeId(3)], learners: [] };
/** A group that starts at index 0 with a known membership (tests only; real founders start at 1). */
export const bootstrap: InitialState = {
  snapshot: { index: logIndex(0), term: term(0), conf: bootstrapConf },
  hardState: { term: term(0), vote: null, commit: logIndex(0) },
};
export const kvOptions = { sessionTtlMs: 60_000, sessionsMax: 1000 };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

export function b(text: string): Uint8Array {
  return textEncoder.encode(text);
}

export function text(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

const tempDirs: string[] = [];

export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftkv-storage-'));
  tempDirs.push(dir);
  return dir;
}

/** Call after closing the databases of a test. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function dbPath(dir: string, name = 'node.db'): string {
  return path.join(dir, name);
}

export function openNode(file: string, options = kvOptions): NodeStorage {
  return NodeStorage.open({ path: file, kv: options });
}

export function entry(index: number, t: number, data: Uint8Array = new Uint8Array(0)): LogEntry {
  return { index: logIndex(index), term: term(t), type: 'normal', data };
}

export function commandEntry(index: number, command: KvCommand, t = 1): LogEntry {
  return entry(index, t, encodeKvCommand(command));
}

/** Entries index..index+n-1 of term t, each carrying its index as text. */
export function entries(index: number, n: number, t: number): LogEntry[] {
  return Array.from({ length: n }, (_, i) => entry(index + i, t, b(`e${index + i}`)));
}

export function put(key: string, value: string, extra: Partial<Pick<KvCommand, 'session'>> & { timeMs?: number; prevKv?: boolean } = {}): KvCommand {
  const { timeMs = 1, ...rest } = extra;
  return { type: 'put', key: b(key), value: b(value), timeMs, ...rest };
}

/** All rows of a table for one group, in primary-key order, for whole-state comparisons. */
export function dumpTable(db: StorageDatabase, table: 'kv' | 'session' | 'apply_state', group: GroupId): SqlRow[] {
  const order = table === 'kv' ? 'key' : table === 'session' ? 'id' : 'group_id';
  return db.statement(`SELECT * FROM ${table} WHERE group_id = ? ORDER BY ${order}`).all(group);
}
