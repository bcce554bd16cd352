/**
 * Range reads as an async iterator: one Range call per page, each with its own deadline and
 * retries, continuing from the previous page's token. Pages are not one snapshot (kv.proto).
 */
import type { Message } from './kv-stub.js';
import type { ReadOptions } from './options.js';
import { boolField, bytesField, decodeHeader, decodeKeyValue, listField, u64, type KeyValue, type ResponseHeader } from './wire.js';

/** Keys per page when the caller gives no `pageSize`. */
export const PAGE_SIZE_DEFAULT = 1_000;
/** The server's bound on keys per page (kv.proto). */
export const PAGE_SIZE_MAX = 10_000;

/**
 * Options of a range read. `deadlineMs` bounds each page, not the whole iteration.
 *
 * @example
 * ```ts
 * client.range({ prefix: 'logs/' }, { limit: 500, pageSize: 100, keysOnly: true });
 * ```
 */
export interface RangeOptions extends ReadOptions {
  /** Stop after this many keys in total; 0 or absent for no limit. */
  readonly limit?: number;
  /** Leave values empty. */
  readonly keysOnly?: boolean;
  /** Keys per Range call, 1..10000; default 1000. */
  readonly pageSize?: number;
}

/**
 * One page of a range.
 *
 * @example
 * ```ts
 * for await (const page of client.range({ prefix: '' }).pages()) console.log(page.kvs.length, page.count);
 * ```
 */
export interface RangePage {
  readonly kvs: readonly KeyValue[];
  /** More keys follow this page (before `limit` is applied). */
  readonly more: boolean;
  /** Keys in the whole range. */
  readonly count: number;
  readonly header: ResponseHeader;
}

/**
 * The keys of a range, fetched page by page as the caller iterates.
 *
 * @example
 * ```ts
 * for await (const kv of client.range({ prefix: 'users/' }, { pageSize: 100 })) console.log(kv.keyText(), kv.text());
 * ```
 */
export class RangeIterable implements AsyncIterable<KeyValue> {
  constructor(
    private readonly fetchPage: (request: Message) => Promise<Message>,
    /** The RangeRequest fields other than limit and page token. */
    private readonly base: Message,
    private readonly limit: number,
    private readonly pageSize: number,
  ) {}

  async *pages(): AsyncGenerator<RangePage> {
    let pageToken: Uint8Array = new Uint8Array(0);
    let remaining = this.limit > 0 ? this.limit : Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const pageLimit = Math.min(this.pageSize, remaining);
      const response = await this.fetchPage({ ...this.base, limit: String(pageLimit), pageToken });
      const kvs = listField(response, 'kvs').map(decodeKeyValue);
      const page: RangePage = { kvs, more: boolField(response, 'more'), count: u64(response, 'count'), header: decodeHeader(response) };
      yield page;
      remaining -= kvs.length;
      pageToken = bytesField(response, 'nextPageToken');
      // An empty page or token cannot make progress: stop rather than loop.
      if (!page.more || kvs.length === 0 || pageToken.byteLength === 0) return;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<KeyValue> {
    for await (const page of this.pages()) yield* page.kvs;
  }

  /** Every key of the range in one array (mind the memory for large ranges). */
  async toArray(): Promise<KeyValue[]> {
    const out: KeyValue[] = [];
    for await (const kv of this) out.push(kv);
    return out;
  }
}
