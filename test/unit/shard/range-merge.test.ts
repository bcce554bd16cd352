/**
 * Property: paging through the merge of per-group ordered scans returns exactly what one sorted
 * map would, for any keys, any spread over groups, any page size and any range bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyValue, RangeResult } from '../../../src/storage/kv-types.js';
import { compareKeys, mergePages } from '../../../src/shard/range-merge.js';

function kv(key: Uint8Array): KeyValue {
  return { key, value: key, version: 1, createRevision: 1, modRevision: 1 };
}

/**
 * One group's answer to "keys in [start, end) after `after`, at most `limit`", cut after `cut`
 * keys when that is fewer (as the server's byte bound per page cuts a page of large values).
 */
function scanGroup(keys: readonly Uint8Array[], start: Uint8Array, end: Uint8Array, after: Uint8Array | null, limit: number, cut = limit): RangeResult {
  const inRange = keys.filter((k) => compareKeys(k, start) >= 0 && compareKeys(k, end) < 0).sort(compareKeys);
  const rest = after === null ? inRange : inRange.filter((k) => compareKeys(k, after) > 0);
  const n = Math.min(limit, cut);
  return { kvs: rest.slice(0, n).map(kv), more: rest.length > n, count: inRange.length, revision: 1 };
}

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 4 });

describe('mergePages()', () => {
  // A group's page may stop before its limit (the server's byte bound): the merge must not pass
  // that group's last key, or the keys it left out would be skipped.
  it('pages through all groups exactly like one sorted map, also when groups cut their pages short', () => {
    fc.assert(fc.property(
      fc.uniqueArray(keyArb, { maxLength: 120, selector: (k) => Array.from(k).join(',') }),
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 17 }), keyArb, keyArb, fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 8, maxLength: 8 }),
      (keys, groups, limit, a, b, cuts) => {
        const [start, end] = compareKeys(a, b) <= 0 ? [a, b] : [b, a];
        const byGroup = Array.from({ length: groups }, (_, g) => keys.filter((k) => (k[0] ?? 0) % groups === g));
        const expected = keys.filter((k) => compareKeys(k, start) >= 0 && compareKeys(k, end) < 0).sort(compareKeys);
        const seen: Uint8Array[] = [];
        let after: Uint8Array | null = null;
        for (let page = 0; page < 200; page++) {
          const merged = mergePages(byGroup.map((g, i) => scanGroup(g, start, end, after, limit, cuts[i])), limit);
          expect(merged.count).toBe(expected.length);
          seen.push(...merged.kvs.map((x) => x.key));
          const last = merged.kvs[merged.kvs.length - 1];
          if (!merged.more || last === undefined) break;
          after = last.key;
        }
        expect(seen.map((k) => Array.from(k))).toEqual(expected.map((k) => Array.from(k)));
      },
    ), { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 300) });
  });
});
