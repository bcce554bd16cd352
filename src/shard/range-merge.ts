/**
 * Ordered scans across groups, for the SDK's fan-out (the server merges with a cursor per group,
 * src/server/range-page.ts). Keys are spread by hash, so each group holds an ordered slice of the
 * key space with gaps; a scan asks every group for its next page after the same continuation key
 * and merges the pages by key. Correct because every group returns its keys in order: up to the
 * first key a group may have left out, the union of the pages holds every key.
 */
import type { KeyValue } from '../storage/kv-types.js';

/** What mergePages needs of one group's page: a RangeResult, or a client's decoded page. */
export interface GroupPage<K extends { readonly key: Uint8Array } = KeyValue> {
  readonly kvs: readonly K[];
  readonly more: boolean;
  readonly count: number;
}

export interface MergedPage<K extends { readonly key: Uint8Array } = KeyValue> {
  readonly kvs: readonly K[];
  readonly more: boolean;
  readonly count: number;
}

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.byteLength - b.byteLength;
}

/**
 * Merges per-group pages (each sorted, each at most `limit` long) into the first `limit` keys.
 * A group whose page stopped early (`more`: at its limit, or at the server's byte bound) may hold
 * keys between its last key and the other groups' keys, so the merged page ends at the smallest
 * last key of such a page: every key up to there is in some page, and none is skipped.
 * Generic in the key-value type: the SDK merges its fan-out (src/client/range.ts) with it.
 */
export function mergePages<K extends { readonly key: Uint8Array }>(pages: readonly GroupPage<K>[], limit: number): MergedPage<K> {
  let bound: Uint8Array | undefined;
  for (const page of pages) {
    const last = page.more ? page.kvs[page.kvs.length - 1] : undefined;
    if (last !== undefined && (bound === undefined || compareKeys(last.key, bound) < 0)) bound = last.key;
  }
  const all = pages.flatMap((p) => p.kvs);
  const usable = bound === undefined ? all : all.filter((kv) => compareKeys(kv.key, bound) <= 0);
  const kvs = usable.sort((a, b) => compareKeys(a.key, b.key)).slice(0, limit);
  const more = all.length > kvs.length || pages.some((p) => p.more);
  return { kvs, more, count: pages.reduce((sum, p) => sum + p.count, 0) };
}
