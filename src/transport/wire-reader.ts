/**
 * Narrowing helpers for objects that came off the wire. Everything a peer sends is untrusted, so a
 * bad field is an expected failure, not a broken invariant: the readers throw `WireFormatError`,
 * which the codec catches at its boundary and turns into `{ ok: false, reason }`. Nothing else may
 * catch it, and the codec lets every other error through.
 *
 * Reasons name the field path and the kind of problem, never string or byte contents.
 */
import { groupId, logIndex, nodeId, term, type GroupId, type LogIndex, type NodeId, type Term } from '../shared/ids.js';
import { GROUP_ID_MAX, LOG_INDEX_MAX, PEER_COUNTER_MAX, TERM_MAX } from '../shared/limits.js';

/**
 * Why a peer message was refused, as a counter key: `malformed` (wrong type or shape),
 * `outOfBounds` (a value past a documented limit, src/shared/limits.ts), `inconsistent` (fields
 * that contradict each other, such as entries that do not follow prevLogIndex), `misaddressed`
 * (from or to the wrong node).
 */
export type RefusalKind = 'malformed' | 'outOfBounds' | 'inconsistent' | 'misaddressed';

export const refusalKinds: readonly RefusalKind[] = ['malformed', 'outOfBounds', 'inconsistent', 'misaddressed'];

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';

  constructor(message: string, readonly kind: RefusalKind = 'malformed') {
    super(message);
  }
}

export type WireObject = Readonly<Record<string, unknown>>;

/** Decimal digits only: no sign, exponent, spaces or hex, which `Number()` would accept. */
const DECIMAL = /^[0-9]+$/;
/** Longer strings cannot be safe integers; checked before the regex so huge input costs little. */
const SAFE_INTEGER_DIGITS_MAX = 16;

export function readObject(value: unknown, path: string): WireObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireFormatError(`${path} is ${value === null ? 'missing' : `not a message (${typeof value})`}`);
  }
  return value as WireObject;
}

/** A uint64 field (a string under `longs: String`, or a number) as a safe non-negative integer. */
export function uintFromWire(value: unknown, path: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    // A whole number too large to be exact is a value past the bounds; anything else is garbage.
    throw new WireFormatError(`${path} is ${value}, not a safe non-negative integer`, value > 0 && Number.isInteger(value) ? 'outOfBounds' : 'malformed');
  }
  if (typeof value === 'string') {
    if (value.length > 0 && value.length <= SAFE_INTEGER_DIGITS_MAX && DECIMAL.test(value)) {
      const n = Number(value);
      if (Number.isSafeInteger(n)) return n;
    }
    const shown = value.length <= 24 ? `"${value}"` : `a ${value.length}-character string`;
    const isBigDecimal = value.length > 0 && DECIMAL.test(value);
    throw new WireFormatError(`${path} is ${shown}, not a safe non-negative integer`, isBigDecimal ? 'outOfBounds' : 'malformed');
  }
  throw new WireFormatError(`${path} is ${typeof value}, not an integer`);
}

export function readUint(object: WireObject, key: string, path: string): number {
  return uintFromWire(object[key], `${path}.${key}`);
}

/** A uint64 field that must also be at most `max` (a bound from src/shared/limits.ts). */
export function readBoundedUint(object: WireObject, key: string, path: string, max: number): number {
  const n = readUint(object, key, path);
  if (n > max) throw new WireFormatError(`${path}.${key} is ${n}, above the limit of ${max}`, 'outOfBounds');
  return n;
}

/** Rejects a list longer than `max` before anything looks at its items. */
export function checkLength(length: number, path: string, max: number): void {
  if (length > max) throw new WireFormatError(`${path} has ${length} items, above the limit of ${max}`, 'outOfBounds');
}

export function readBool(object: WireObject, key: string, path: string): boolean {
  const value = object[key];
  if (typeof value !== 'boolean') throw new WireFormatError(`${path}.${key} is ${typeof value}, not a boolean`);
  return value;
}

export function readString(object: WireObject, key: string, path: string): string {
  const value = object[key];
  if (typeof value !== 'string') throw new WireFormatError(`${path}.${key} is ${typeof value}, not a string`);
  return value;
}

/**
 * Copies the bytes into a fresh plain Uint8Array. Protobuf decoding hands out views into the whole
 * received batch; keeping one small entry must not pin a megabyte batch buffer in memory.
 */
export function readBytes(object: WireObject, key: string, path: string): Uint8Array {
  const value = object[key];
  if (!(value instanceof Uint8Array)) throw new WireFormatError(`${path}.${key} is ${typeof value}, not bytes`);
  return new Uint8Array(value);
}

export function readArray(object: WireObject, key: string, path: string): readonly unknown[] {
  const value = object[key];
  if (!Array.isArray(value)) throw new WireFormatError(`${path}.${key} is ${typeof value}, not a list`);
  return value;
}

export function readNodeId(object: WireObject, key: string, path: string): NodeId {
  return nodeIdFromWire(object[key], `${path}.${key}`);
}

/** Node ids start at 1 (0 means nobody, and no RaftMessage field may carry it). */
export function nodeIdFromWire(value: unknown, path: string): NodeId {
  const n = uintFromWire(value, path);
  if (n < 1) throw new WireFormatError(`${path} is 0, not a node id`);
  return nodeId(n);
}

export function readGroupId(object: WireObject, key: string, path: string): GroupId {
  return groupId(readBoundedUint(object, key, path, GROUP_ID_MAX));
}

export function readTerm(object: WireObject, key: string, path: string): Term {
  return term(readBoundedUint(object, key, path, TERM_MAX));
}

export function readLogIndex(object: WireObject, key: string, path: string): LogIndex {
  return logIndex(readBoundedUint(object, key, path, LOG_INDEX_MAX));
}

/** Plain counters (snapshot offsets, ReadIndex rounds), not ids. */
export function readCount(object: WireObject, key: string, path: string): number {
  return readBoundedUint(object, key, path, PEER_COUNTER_MAX);
}
