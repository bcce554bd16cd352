/**
 * Checks on rows read back from SQLite (STYLE §5: check data on both sides of a boundary). A row
 * that fails here means the file was changed behind our back or a write path is wrong: stop.
 */
import { assert } from '../shared/assert.js';
import { nodeId, type NodeId } from '../shared/ids.js';
import type { ConfState } from '../raft/types.js';

export type SqlRow = Readonly<Record<string, unknown>>;

export function intColumn(row: SqlRow, name: string): number {
  const value = row[name];
  assert(typeof value === 'number' && Number.isSafeInteger(value), `Column ${name} is not a safe integer`);
  return value;
}

export function nullableIntColumn(row: SqlRow, name: string): number | null {
  return row[name] === null ? null : intColumn(row, name);
}

export function textColumn(row: SqlRow, name: string): string {
  const value = row[name];
  assert(typeof value === 'string', `Column ${name} is not text`);
  return value;
}

/** better-sqlite3 returns Buffers; callers get plain Uint8Array views over the same memory. */
export function bytesColumn(row: SqlRow, name: string): Uint8Array {
  const value = row[name];
  assert(value instanceof Uint8Array, `Column ${name} is not a blob`);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

export function confToText(conf: ConfState): string {
  return JSON.stringify({ voters: conf.voters, learners: conf.learners, ...(conf.addresses === undefined ? {} : { addresses: conf.addresses }) });
}

function nodeIds(value: unknown, what: string): NodeId[] {
  assert(Array.isArray(value), `Stored conf state ${what} is not an array`);
  return value.map((id: unknown) => {
    assert(typeof id === 'number', `Stored conf state ${what} holds a non-number`);
    return nodeId(id);
  });
}

export function confFromText(text: string): ConfState {
  const parsed: unknown = JSON.parse(text);
  assert(typeof parsed === 'object' && parsed !== null, 'Stored conf state is not an object');
  const record = parsed as Record<string, unknown>;
  const conf = { voters: nodeIds(record['voters'], 'voters'), learners: nodeIds(record['learners'], 'learners') };
  const addresses = record['addresses'];
  if (addresses === undefined) return conf;
  assert(typeof addresses === 'object' && addresses !== null && Object.values(addresses).every((a) => typeof a === 'string'),
    'Stored conf state addresses are not a map of strings');
  return { ...conf, addresses: addresses as Record<string, string> };
}
