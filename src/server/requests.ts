/**
 * The decode boundary for client requests: proto-loader objects (typed `unknown`) become KV
 * commands and queries, or a KvError naming the field. Nothing a client sends can throw past
 * here: every field is checked for type and range before use.
 */
import { KvError } from '../shared/errors.js';
import type { Compare, CompareOp, KvCommandBody, NumberTarget, SessionRef, TxnOp } from '../storage/kv-command.js';
import type { KeyRange, RangeQuery } from '../storage/kv-types.js';
import { storageLimits } from '../storage/storage-limits.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: KvError };
type Obj = Record<string, unknown>;

function invalid(field: string, message: string): KvError {
  return new KvError('INVALID_ARGUMENT', `Cannot accept request: ${message}`, { field });
}

/** Throws KvError; caught by decode() so callers only ever see a Decoded value. */
function fail(field: string, message: string): never {
  throw invalid(field, message);
}

export function decode<T>(parse: () => T): Decoded<T> {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (error instanceof KvError) return { ok: false, error };
    return { ok: false, error: invalid('request', `malformed request (${(error as Error).message})`) };
  }
}

export function obj(value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, `${field} must be a message`);
  return value as Obj;
}

export function bytes(o: Obj, field: string): Uint8Array {
  const v = o[field];
  if (v === undefined || v === null) return new Uint8Array(0);
  if (!(v instanceof Uint8Array)) fail(field, `${field} must be bytes`);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

export function bool(o: Obj, field: string): boolean {
  const v = o[field];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') fail(field, `${field} must be a boolean`);
  return v;
}

export function uint(o: Obj, field: string): number {
  const v = o[field];
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) fail(field, `${field} must be an integer in [0, ${Number.MAX_SAFE_INTEGER}], got "${String(v)}"`);
  return n;
}

function str(o: Obj, field: string): string {
  const v = o[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') fail(field, `${field} must be a string`);
  return v;
}

function list(o: Obj, field: string): unknown[] {
  const v = o[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(field, `${field} must be a list`);
  return v;
}

export function session(o: Obj): SessionRef | undefined {
  const id = str(o, 'sessionId');
  const seq = uint(o, 'seq');
  if (id === '' && seq === 0) return undefined;
  if (id === '') fail('sessionId', 'seq is set but sessionId is empty');
  if (seq === 0) fail('seq', `sessionId "${id.slice(0, 64)}" needs a seq of 1 or more`);
  return { id, seq };
}

export type Consistency = 'linearizable' | 'serializable' | 'lease';

export function consistency(o: Obj): Consistency {
  const v = o['consistency'];
  if (v === undefined || v === null || v === 'READ_CONSISTENCY_LINEARIZABLE' || v === 0) return 'linearizable';
  if (v === 'READ_CONSISTENCY_SERIALIZABLE' || v === 1) return 'serializable';
  if (v === 'READ_CONSISTENCY_LEASE' || v === 2) return 'lease';
  return fail('consistency', `unknown consistency "${String(v)}"`);
}

/** Range bounds: `prefix`, or [start, end) with an empty end meaning the single key `start`. */
function keyRange(o: Obj, singleKeyWhenNoEnd: boolean): KeyRange | { single: Uint8Array } {
  const start = bytes(o, 'start');
  const end = bytes(o, 'end');
  if (bool(o, 'prefix')) {
    if (end.byteLength > 0) fail('end', 'end must be empty when prefix is set');
    return { prefix: start };
  }
  if (end.byteLength === 0 && singleKeyWhenNoEnd) {
    if (start.byteLength === 0) fail('start', 'start is empty: give a key, a prefix, or start and end');
    return { single: start };
  }
  // As etcd: an end of one zero byte means "every key from start on".
  const openEnded = end.byteLength === 0 || (end.byteLength === 1 && end[0] === 0);
  return openEnded ? { start } : { start, end };
}

/** A Range request as a query (its page token is decoded apart: range-handler.ts). A single-key range becomes [key, key + 0x00). */
export function rangeQuery(o: Obj): RangeQuery {
  const bounds = keyRange(o, true);
  const range: KeyRange = 'single' in bounds ? { start: bounds.single, end: successor(bounds.single) } : bounds;
  const requested = uint(o, 'limit');
  const limit = requested === 0 || requested > storageLimits.rangeLimitMax ? storageLimits.rangeLimitMax : requested;
  return {
    ...range,
    limit,
    ...(bool(o, 'keysOnly') ? { keysOnly: true } : {}),
    ...(bool(o, 'countOnly') ? { countOnly: true } : {}),
  };
}

function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.byteLength + 1);
  out.set(key);
  return out;
}

const TARGETS: Record<string, 'value' | NumberTarget> = { VALUE: 'value', VERSION: 'version', CREATE_REVISION: 'createRevision', MOD_REVISION: 'modRevision' };
const OPS: Record<string, CompareOp> = { EQUAL: '=', NOT_EQUAL: '!=', LESS: '<', GREATER: '>' };

function compare(value: unknown, i: number): Compare {
  const c = obj(value, `compares[${i}]`);
  const target = TARGETS[String(c['target'])];
  const op = OPS[String(c['op'])];
  if (target === undefined) fail(`compares[${i}].target`, `compares[${i}].target must be VALUE, VERSION, CREATE_REVISION or MOD_REVISION`);
  if (op === undefined) fail(`compares[${i}].op`, `compares[${i}].op must be EQUAL, NOT_EQUAL, LESS or GREATER`);
  // kv.proto: the operand oneof must match the target ("the wrong one is INVALID_ARGUMENT").
  const operand = c['operand'];
  if (target === 'value' && operand === 'number') fail(`compares[${i}].value`, `compares[${i}] compares VALUE, so its operand must be value, not number`);
  if (target !== 'value' && operand === 'value') fail(`compares[${i}].number`, `compares[${i}] compares ${String(c['target'])}, so its operand must be number, not value`);
  const key = bytes(c, 'key');
  if (target === 'value') return { key, target, op, value: bytes(c, 'value') };
  return { key, target, op, number: uint(c, 'number') };
}

function txnOp(value: unknown, field: string): TxnOp {
  const o = obj(value, field);
  const put = o['put'];
  const del = o['delete'];
  const get = o['get'];
  const range = o['range'];
  if (put !== undefined && put !== null) {
    const p = obj(put, `${field}.put`);
    return { type: 'put', key: bytes(p, 'key'), value: bytes(p, 'value'), prevKv: bool(p, 'prevKv') };
  }
  if (del !== undefined && del !== null) {
    const d = obj(del, `${field}.delete`);
    return { type: 'delete', key: bytes(d, 'key'), prevKv: bool(d, 'prevKv') };
  }
  if (get !== undefined && get !== null) return { type: 'get', key: bytes(obj(get, `${field}.get`), 'key') };
  if (range !== undefined && range !== null) return { type: 'range', query: rangeQuery(obj(range, `${field}.range`)) };
  return fail(field, `${field} has no operation`);
}

export function txnBody(o: Obj): KvCommandBody {
  return {
    type: 'txn',
    compares: list(o, 'compares').map(compare),
    success: list(o, 'success').map((op, i) => txnOp(op, `success[${i}]`)),
    failure: list(o, 'failure').map((op, i) => txnOp(op, `failure[${i}]`)),
  };
}

export function batchPutBody(o: Obj): KvCommandBody {
  const items = list(o, 'items').map((item, i) => {
    const it = obj(item, `items[${i}]`);
    return { key: bytes(it, 'key'), value: bytes(it, 'value') };
  });
  if (items.length === 0) fail('items', 'items is empty');
  return { type: 'batchPut', items };
}

/** Payload bytes of a request (keys and values), checked against the configured request bound. */
export function payloadBytes(value: unknown, depth = 0): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return value.length;
  if (depth > 8 || typeof value !== 'object' || value === null) return 8;
  let total = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) total += payloadBytes(v, depth + 1);
  return total;
}
