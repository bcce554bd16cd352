/**
 * Options and results of the SDK's writes, and how keys appear in messages.
 */
import type { WriteOptions } from './options.js';
import { utf8, type Bytes, type KeyValue, type ResponseHeader } from './wire.js';

/**
 * Options of `put` and `delete`.
 *
 * @example
 * ```ts
 * await client.put('a', '1', { prevKv: true, deadlineMs: 1_000 });
 * ```
 */
export interface PutOptions extends WriteOptions {
  /** Return the previous key-value in `prevKv`. */
  readonly prevKv?: boolean;
}

/**
 * What a put answered: the revision it created is `header.revision`.
 *
 * @example
 * ```ts
 * const { header } = await client.put('a', '1');
 * ```
 */
export interface PutResult {
  readonly header: ResponseHeader;
  readonly prevKv: KeyValue | null;
}

/**
 * What a delete answered; `deleted` is false when the key did not exist.
 *
 * @example
 * ```ts
 * if (!(await client.delete('a')).deleted) console.log('was not there');
 * ```
 */
export interface DeleteResult {
  readonly header: ResponseHeader;
  readonly deleted: boolean;
  readonly prevKv: KeyValue | null;
}

/**
 * One item of `batch`.
 *
 * @example
 * ```ts
 * const item: BatchItem = { key: 'a', value: new Uint8Array([1, 2]) };
 * ```
 */
export interface BatchItem {
  readonly key: Bytes;
  readonly value: Bytes;
}

/**
 * What a batch or a compare-and-swap answered.
 *
 * @example
 * ```ts
 * const { header } = await client.batch([{ key: 'a', value: '1' }]);
 * ```
 */
export interface WriteResult {
  readonly header: ResponseHeader;
}

/**
 * A short, quoted form of a key for messages (never values: STYLE §5).
 *
 * @example
 * ```ts
 * describeKey(new TextEncoder().encode('a')); // '"a"'
 * ```
 */
export function describeKey(key: Uint8Array): string {
  const text = utf8(key);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/**
 * What a batch answered. On a sharded cluster a batch is split by group, one atomic part per
 * group: `headers` has one header per part (ascending group), and `header` is the first of them.
 *
 * @example
 * ```ts
 * const { headers } = await client.batch(items);
 * console.log(`written in ${headers.length} group(s)`);
 * ```
 */
export interface BatchResult extends WriteResult {
  readonly headers: readonly ResponseHeader[];
}
