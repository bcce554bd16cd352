/**
 * Transactions: compares and operations as plain values (`compare.*`, `op.*`), their encoding
 * into a TxnRequest, the decoding of a TxnResponse, and the fluent builder
 * `client.txn().if(...).then(...).else(...).commit()`.
 */
import { KvClientError } from './errors.js';
import type { Message } from './kv-stub.js';
import type { WriteOptions } from './options.js';
import {
  boolField, decodeHeader, decodeKeyValue, encodeSelector, field, listField, optionalKeyValue, toBytes, u64,
  type Bytes, type KeyValue, type RangeSelector, type ResponseHeader,
} from './wire.js';

/**
 * `=`, `!=`, `<`, `>`: the key's current target against the operand.
 *
 * @example
 * ```ts
 * compare.version('k', '>', 0); // the key exists
 * ```
 */
export type CompareOp = '=' | '!=' | '<' | '>';
/**
 * What a compare looks at: the value (bytes) or one of the key's numbers.
 *
 * @example
 * ```ts
 * const target: CompareTarget = 'modRevision';
 * ```
 */
export type CompareTarget = 'value' | 'version' | 'createRevision' | 'modRevision';

/**
 * One condition of a transaction. On a missing key numbers read 0 and every value compare is false.
 * Build them with `compare.*`.
 *
 * @example
 * ```ts
 * const c: Compare = compare.value('owner', '=', 'alice');
 * ```
 */
export type Compare =
  | { readonly key: Uint8Array; readonly target: 'value'; readonly op: CompareOp; readonly value: Uint8Array }
  | { readonly key: Uint8Array; readonly target: Exclude<CompareTarget, 'value'>; readonly op: CompareOp; readonly number: number };

/**
 * One operation of a transaction branch. Build them with `op.*`.
 *
 * @example
 * ```ts
 * const o: TxnOp = op.put('owner', 'bob');
 * ```
 */
export type TxnOp =
  | { readonly type: 'put'; readonly key: Uint8Array; readonly value: Uint8Array; readonly prevKv: boolean }
  | { readonly type: 'delete'; readonly key: Uint8Array; readonly prevKv: boolean }
  | { readonly type: 'get'; readonly key: Uint8Array }
  | { readonly type: 'range'; readonly selector: RangeSelector; readonly limit: number; readonly keysOnly: boolean; readonly countOnly: boolean };

function numberCompare(target: Exclude<CompareTarget, 'value'>) {
  return (key: Bytes, op: CompareOp, n: number): Compare => ({ key: toBytes(key), target, op, number: n });
}

/**
 * Builders of transaction conditions.
 *
 * @example
 * ```ts
 * compare.value('owner', '=', 'alice');
 * compare.version('lock', '=', 0); // the key does not exist
 * compare.modRevision('config', '<', 42);
 * ```
 */
export const compare = {
  value: (key: Bytes, op: CompareOp, value: Bytes): Compare => ({ key: toBytes(key), target: 'value', op, value: toBytes(value) }),
  version: numberCompare('version'),
  createRevision: numberCompare('createRevision'),
  modRevision: numberCompare('modRevision'),
} as const;

/**
 * Builders of transaction operations.
 *
 * @example
 * ```ts
 * op.put('a', '1');
 * op.delete('b', { prevKv: true });
 * op.get('c');
 * op.range({ prefix: 'users/' }, { limit: 10 });
 * ```
 */
export const op = {
  put: (key: Bytes, value: Bytes, options: { prevKv?: boolean } = {}): TxnOp => ({ type: 'put', key: toBytes(key), value: toBytes(value), prevKv: options.prevKv ?? false }),
  delete: (key: Bytes, options: { prevKv?: boolean } = {}): TxnOp => ({ type: 'delete', key: toBytes(key), prevKv: options.prevKv ?? false }),
  get: (key: Bytes): TxnOp => ({ type: 'get', key: toBytes(key) }),
  range: (selector: RangeSelector, options: { limit?: number; keysOnly?: boolean; countOnly?: boolean } = {}): TxnOp =>
    ({ type: 'range', selector, limit: options.limit ?? 0, keysOnly: options.keysOnly ?? false, countOnly: options.countOnly ?? false }),
} as const;

const TARGETS = { value: 'VALUE', version: 'VERSION', createRevision: 'CREATE_REVISION', modRevision: 'MOD_REVISION' } as const;
const OPS = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '<': 'LESS', '>': 'GREATER' } as const;

export function encodeCompare(c: Compare): Message {
  const base = { key: c.key, target: TARGETS[c.target], op: OPS[c.op] };
  return c.target === 'value' ? { ...base, value: c.value } : { ...base, number: String(c.number) };
}

export function encodeOp(o: TxnOp): Message {
  switch (o.type) {
    case 'put':
      return { put: { key: o.key, value: o.value, prevKv: o.prevKv } };
    case 'delete':
      return { delete: { key: o.key, prevKv: o.prevKv } };
    case 'get':
      return { get: { key: o.key } };
    case 'range':
      return { range: { ...encodeSelector(o.selector), limit: String(o.limit), keysOnly: o.keysOnly, countOnly: o.countOnly } };
  }
}

/** The TxnRequest fields (without session) for compares and both branches. */
export function encodeTxn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[]): Message {
  return { compares: compares.map(encodeCompare), success: success.map(encodeOp), failure: failure.map(encodeOp) };
}

/**
 * The result of one operation, in the order of the branch that ran.
 *
 * @example
 * ```ts
 * for (const r of result.results) if (r.type === 'get') console.log(r.kv?.text());
 * ```
 */
export type TxnOpResult =
  | { readonly type: 'put'; readonly prevKv: KeyValue | null }
  | { readonly type: 'delete'; readonly deleted: boolean; readonly prevKv: KeyValue | null }
  | { readonly type: 'get'; readonly kv: KeyValue | null }
  | { readonly type: 'range'; readonly kvs: readonly KeyValue[]; readonly more: boolean; readonly count: number };

/**
 * What a committed transaction answered.
 *
 * @example
 * ```ts
 * const r = await client.txn().if(compare.version('a', '>', 0)).then(op.get('a')).commit();
 * if (r.succeeded && r.results[0]?.type === 'get') console.log(r.results[0].kv?.text());
 * ```
 */
export interface TxnResult {
  /** Every compare held, so the `then` branch ran. */
  readonly succeeded: boolean;
  readonly results: readonly TxnOpResult[];
  readonly header: ResponseHeader;
}

function decodeOpResult(message: unknown): TxnOpResult {
  const put = field(message, 'put');
  const del = field(message, 'delete');
  const get = field(message, 'get');
  const range = field(message, 'range');
  if (put !== undefined && put !== null) return { type: 'put', prevKv: optionalKeyValue(put, 'prevKv') };
  if (del !== undefined && del !== null) return { type: 'delete', deleted: boolField(del, 'deleted'), prevKv: optionalKeyValue(del, 'prevKv') };
  if (get !== undefined && get !== null) return { type: 'get', kv: boolField(get, 'found') ? optionalKeyValue(get, 'kv') : null };
  if (range !== undefined && range !== null) {
    return { type: 'range', kvs: listField(range, 'kvs').map(decodeKeyValue), more: boolField(range, 'more'), count: u64(range, 'count') };
  }
  return { type: 'get', kv: null };
}

export function decodeTxnResponse(response: Message): TxnResult {
  return { succeeded: boolField(response, 'succeeded'), results: listField(response, 'results').map(decodeOpResult), header: decodeHeader(response) };
}

/**
 * Collects compares and operations; `commit()` sends them as one atomic Txn. `if`, `then` and
 * `else` may each be called more than once: they append.
 *
 * @example
 * ```ts
 * const { succeeded } = await client.txn()
 *   .if(compare.value('owner', '=', 'alice'))
 *   .then(op.put('owner', 'bob'))
 *   .else(op.get('owner'))
 *   .commit();
 * ```
 */
export class TxnBuilder {
  private readonly compares: Compare[] = [];
  private readonly success: TxnOp[] = [];
  private readonly failure: TxnOp[] = [];

  /** `send` gets the TxnRequest, the call's options, and every key the txn names (for routing). */
  constructor(private readonly send: (request: Message, options: WriteOptions, keys: readonly Uint8Array[]) => Promise<TxnResult>) {}

  if(...compares: Compare[]): this {
    this.compares.push(...compares);
    return this;
  }

  then(...ops: TxnOp[]): this {
    // A builder with a `then` method looks like a promise to `await`; TypeScript rejects that
    // (error 1320), and plain JavaScript gets a clear rejection instead of a hang.
    const args: readonly unknown[] = ops;
    if (typeof args[0] === 'function') {
      const onRejected = args[1];
      if (typeof onRejected === 'function') onRejected(new KvClientError('INVALID_ARGUMENT', 'Cannot await a transaction builder: call .commit() to send it'));
      return this;
    }
    this.success.push(...ops);
    return this;
  }

  else(...ops: TxnOp[]): this {
    this.failure.push(...ops);
    return this;
  }

  /** The TxnRequest this builder would send (without session fields). */
  encode(): Message {
    return encodeTxn(this.compares, this.success, this.failure);
  }

  /** The keys of every compare and every put, delete and get (not of ranges). */
  keys(): Uint8Array[] {
    const ops = [...this.success, ...this.failure];
    return [...this.compares.map((c) => c.key), ...ops.flatMap((o) => (o.type === 'range' ? [] : [o.key]))];
  }

  commit(options: WriteOptions = {}): Promise<TxnResult> {
    return this.send(this.encode(), options, this.keys());
  }
}
