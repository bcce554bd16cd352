/**
 * Narrowing helpers for objects that came off the wire. Everything a peer sends is untrusted, so a
 * bad field is an expected failure, not a broken invariant: the readers throw `WireFormatError`,
 * which the codec catches at its boundary and turns into `{ ok: false, reason }`. Nothing else may
 * catch it, and the codec lets every other error through.
 *
 * Reasons name the field path and the kind of problem, never string or byte contents.
 */
import { groupId, logIndex, nodeId, term, type GroupId, type LogIndex, type NodeId, type Term } from '../shared/ids.js';

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
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
    throw new WireFormatError(`${path} is ${value}, not a safe non-negative integer`);
  }
  if (typeof value === 'string') {
    if (value.length > 0 && value.length <= SAFE_INTEGER_DIGITS_MAX && DECIMAL.test(value)) {
      const n = Number(value);
      if (Number.isSafeInteger(n)) return n;
    }
    const shown = value.length <= 24 ? `"${value}"` : `a ${value.length}-character string`;
    throw new WireFormatError(`${path} is ${shown}, not a safe non-negative integer`);
  }
  throw new WireFormatError(`${path} is ${typeof value}, not an integer`);
}

export function readUint(object: WireObject, key: string, path: string): number {
  return uintFromWire(object[key], `${path}.${key}`);
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
  return groupId(readUint(object, key, path));
}

export function readTerm(object: WireObject, key: string, path: string): Term {
  return term(readUint(object, key, path));
}

export function readLogIndex(object: WireObject, key: string, path: string): LogIndex {
  return logIndex(readUint(object, key, path));
}
