/**
 * Range reads as an async iterator: one page at a time (one Range call, or on a sharded cluster
 * one per group, merged), each with its own deadline and retries, continuing from the previous
 * page's token (its last key). Pages are not one snapshot (kv.proto).
 */
import { mergePages } from '../shard/range-merge.js';
import { encodePageToken, type TokenRange } from '../shard/page-token.js';
import type { Message } from './kv-stub.js';
import type { ReadOptions } from './options.js';
import { boolField, bytesField, decodeHeader, decodeKeyValue, listField, u64, type KeyValue, type ResponseHeader } from './wire.js';

/** Keys per page when the caller gives no `pageSize`. */
export const PAGE_SIZE_DEFAULT = 1_000;
/**
 * The largest `pageSize`. A server answers at most 1,000 keys and 1 MiB per page (kv.proto)
 * whatever is asked; the iterator follows the page token, so a larger pageSize only means more
 * keys per fan-out round.
 */
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

/** A page as fetched: the page and where the next one starts (empty: nowhere). */
export interface FetchedPage extends RangePage {
  readonly nextPageToken: Uint8Array;
}

/** Decodes one RangeResponse. */
export function decodeRangeResponse(response: Message): FetchedPage {
  return {
    kvs: listField(response, 'kvs').map(decodeKeyValue), more: boolField(response, 'more'), count: u64(response, 'count'),
    header: decodeHeader(response), nextPageToken: bytesField(response, 'nextPageToken'),
  };
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
    /** One page for a RangeRequest: one Range call, or one per group merged (sharded-range.ts). */
    private readonly fetchPage: (request: Message) => Promise<FetchedPage>,
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
      const { nextPageToken, ...page } = await this.fetchPage({ ...this.base, limit: String(pageLimit), pageToken });
      yield page;
      remaining -= page.kvs.length;
      pageToken = nextPageToken;
      // An empty page or token cannot make progress: stop rather than loop.
      if (!page.more || page.kvs.length === 0 || pageToken.byteLength === 0) return;
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

/**
 * One page of a range on a sharded cluster from each group's page (each asked for the same
 * `limit` after the same token), merged in key order (src/shard/range-merge.ts); the next token
 * is the merged page's last key, bound to `range` as the server binds its own. Revisions of different
 * groups are not comparable, so the header names no group, node or revision (as the server's own
 * merged Range does).
 */
export function mergeGroupPages(pages: readonly FetchedPage[], limit: number, range: TokenRange): FetchedPage {
  const merged = mergePages(pages, limit);
  const last = merged.kvs[merged.kvs.length - 1];
  return {
    kvs: merged.kvs, more: merged.more, count: merged.count,
    header: { groupId: 0, revision: 0, raftTerm: 0, nodeId: 0, serializable: pages.some((p) => p.header.serializable) },
    nextPageToken: merged.more && last !== undefined ? encodePageToken(range, last.key) : new Uint8Array(0),
  };
}
