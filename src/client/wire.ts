/**
 * The boundary between the SDK's types and proto-loader's wire objects: keys and values in
 * (`string | Uint8Array`, strings UTF-8 encoded), decoded results out. uint64 fields arrive as
 * decimal strings and become safe integers here, or the response is refused (STYLE §6).
 */
import { KvClientError } from './errors.js';
import type { Message } from './kv-stub.js';

/**
 * A key or value: a string is sent as its UTF-8 bytes.
 *
 * @example
 * ```ts
 * await kv.put('greeting', 'hello');
 * await kv.put(new Uint8Array([0, 1]), new Uint8Array([255]));
 * ```
 */
export type Bytes = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The bytes of a key or value. */
export function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** UTF-8 text of some bytes; invalid sequences become U+FFFD. */
export function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * One stored key with its value and versions.
 *
 * @example
 * ```ts
 * const kv = await client.get('greeting');
 * if (kv !== null) console.log(kv.keyText(), kv.text(), kv.version);
 * ```
 */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Empty when the request asked for keys only. */
  readonly value: Uint8Array;
  /** Writes to this key since it was created (a delete resets it). */
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
  /** The value as UTF-8 text. */
  text(): string;
  /** The key as UTF-8 text. */
  keyText(): string;
}

/**
 * What every response says about who answered.
 *
 * @example
 * ```ts
 * const { header } = await client.put('a', '1');
 * console.log(`node ${header.nodeId} at revision ${header.revision}`);
 * ```
 */
export interface ResponseHeader {
  readonly groupId: number;
  readonly revision: number;
  readonly raftTerm: number;
  readonly nodeId: number;
  /** Served from local state without confirming leadership: may be stale. */
  readonly serializable: boolean;
}

function malformed(what: string): KvClientError {
  return new KvClientError('INTERNAL', `Cannot decode the server's response: ${what}`);
}

export function field(message: unknown, name: string): unknown {
  return typeof message === 'object' && message !== null ? (message as Record<string, unknown>)[name] : undefined;
}

/** A uint64 field as a safe integer; absent reads as 0 (proto3 default). */
export function u64(message: unknown, name: string): number {
  const value = field(message, name);
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw malformed(`field ${name} is not a safe integer (${String(value).slice(0, 40)})`);
  return n;
}

export function bytesField(message: unknown, name: string): Uint8Array {
  const value = field(message, name);
  if (value === undefined || value === null) return new Uint8Array(0);
  if (!(value instanceof Uint8Array)) throw malformed(`field ${name} is not bytes`);
  return value;
}

export function boolField(message: unknown, name: string): boolean {
  return field(message, name) === true;
}

export function listField(message: unknown, name: string): unknown[] {
  const value = field(message, name);
  return Array.isArray(value) ? (value as unknown[]) : [];
}

export function stringField(message: unknown, name: string): string {
  const value = field(message, name);
  return typeof value === 'string' ? value : '';
}

class StoredKeyValue implements KeyValue {
  constructor(
    readonly key: Uint8Array,
    readonly value: Uint8Array,
    readonly version: number,
    readonly createRevision: number,
    readonly modRevision: number,
  ) {}

  text(): string {
    return utf8(this.value);
  }

  keyText(): string {
    return utf8(this.key);
  }
}

export function decodeKeyValue(message: unknown): KeyValue {
  return new StoredKeyValue(
    bytesField(message, 'key'), bytesField(message, 'value'),
    u64(message, 'version'), u64(message, 'createRevision'), u64(message, 'modRevision'),
  );
}

/** A KeyValue sub-message that may be unset (null), as `prevKv` and `kv` are. */
export function optionalKeyValue(message: unknown, name: string): KeyValue | null {
  const value = field(message, name);
  return value === undefined || value === null ? null : decodeKeyValue(value);
}

export function decodeHeader(message: Message): ResponseHeader {
  const header = field(message, 'header');
  return {
    groupId: u64(header, 'groupId'), revision: u64(header, 'revision'), raftTerm: u64(header, 'raftTerm'),
    nodeId: u64(header, 'nodeId'), serializable: boolField(header, 'serializable'),
  };
}

/**
 * Which keys a range covers, in byte order: every key with a prefix (`{ prefix: '' }` is every
 * key), or `[start, end)`, where a missing or empty `end` means "every key from `start` on".
 *
 * @example
 * ```ts
 * client.range({ prefix: 'users/' });
 * client.range({ start: 'a', end: 'm' });
 * ```
 */
export type RangeSelector = { readonly prefix: Bytes } | { readonly start: Bytes; readonly end?: Bytes };

/** The start/end/prefix fields of a RangeRequest or TxnRange. */
export function encodeSelector(selector: RangeSelector): Message {
  if ('prefix' in selector) return { start: toBytes(selector.prefix), prefix: true };
  // kv.proto: an end of one zero byte means "every key >= start".
  const end = selector.end === undefined ? new Uint8Array(0) : toBytes(selector.end);
  return { start: toBytes(selector.start), end: end.byteLength === 0 ? new Uint8Array([0]) : end };
}
