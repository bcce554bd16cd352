/**
 * Ordered scans across groups. Keys are spread by hash, so each group holds an ordered slice of
 * the key space with gaps; a scan asks every group for its next page after the same continuation
 * key and merges the pages by key. Correct because every group returns its keys in order and
 * `limit` of them: the first `limit` keys of the union are among those pages.
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
 * Generic in the key-value type so the SDK (src/client/sharded-range.ts) merges with the same code.
 */
export function mergePages<K extends { readonly key: Uint8Array }>(pages: readonly GroupPage<K>[], limit: number): MergedPage<K> {
  const all = pages.flatMap((p) => p.kvs).sort((a, b) => compareKeys(a.key, b.key));
  const kvs = all.slice(0, limit);
  const more = all.length > limit || pages.some((p) => p.more);
  return { kvs, more, count: pages.reduce((sum, p) => sum + p.count, 0) };
}
