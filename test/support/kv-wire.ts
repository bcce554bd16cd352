// Typed views of proto-loader messages for tests: text keys and values in, plain values out
// (proto-loader gives `unknown` objects whose 64-bit fields are decimal strings). Shared by the
// integration tests and the Jepsen-style runs, which both talk to nodes through a raw KvStub.
import type { KvStub, Message } from '../../src/client/kv-stub.js';

export type Consistency = 'READ_CONSISTENCY_LINEARIZABLE' | 'READ_CONSISTENCY_SERIALIZABLE' | 'READ_CONSISTENCY_LEASE';
export const LINEARIZABLE: Consistency = 'READ_CONSISTENCY_LINEARIZABLE';
export const SERIALIZABLE: Consistency = 'READ_CONSISTENCY_SERIALIZABLE';
export const LEASE: Consistency = 'READ_CONSISTENCY_LEASE';

export interface NodeStatus {
  readonly nodeId: number;
  readonly term: number;
  readonly leaderId: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly role: string;
}

export interface StoredValue {
  readonly value: string;
  readonly version: number;
  readonly modRevision: number;
}

export function field(message: unknown, name: string): unknown {
  return typeof message === 'object' && message !== null ? (message as Record<string, unknown>)[name] : undefined;
}

export function num(message: unknown, name: string): number {
  const value = field(message, name);
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`Field ${name} is not an integer: ${String(value)}`);
  return n;
}

export function text(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error('Expected bytes');
  return Buffer.from(value).toString('utf8');
}

export const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

export function nodeStatus(m: Message): NodeStatus {
  const header = field(m, 'header');
  return {
    nodeId: num(header, 'nodeId'), term: num(header, 'raftTerm'), leaderId: num(m, 'leaderId'),
    commitIndex: num(m, 'commitIndex'), appliedIndex: num(m, 'appliedIndex'), role: String(field(m, 'role')),
  };
}

export function revisionOf(m: Message): number {
  return num(field(m, 'header'), 'revision');
}

export function storedValue(kv: unknown): StoredValue {
  return { value: text(field(kv, 'value')), version: num(kv, 'version'), modRevision: num(kv, 'modRevision') };
}

/** The stored value of `key`, or null when it is absent. */
export async function get(stub: KvStub, key: string, consistency: Consistency, deadlineMs: number): Promise<StoredValue | null> {
  const response = await stub.call('Get', { key: bytes(key), consistency }, { deadlineMs });
  return field(response, 'found') === true ? storedValue(field(response, 'kv')) : null;
}

/** Every key under `prefix` with its value, following pages. */
export async function scan(stub: KvStub, prefix: string, consistency: Consistency, deadlineMs: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let pageToken: Buffer = Buffer.alloc(0);
  for (let page = 0; page < 1_000; page++) {
    const response = await stub.call('Range', { start: bytes(prefix), prefix: true, consistency, pageToken }, { deadlineMs });
    const kvs = field(response, 'kvs');
    for (const kv of Array.isArray(kvs) ? kvs : []) out.set(text(field(kv, 'key')), text(field(kv, 'value')));
    if (field(response, 'more') !== true) return out;
    const next = field(response, 'nextPageToken');
    pageToken = next instanceof Uint8Array ? Buffer.from(next) : Buffer.alloc(0);
  }
  throw new Error(`Range over prefix "${prefix}" did not end within 1000 pages`);
}
