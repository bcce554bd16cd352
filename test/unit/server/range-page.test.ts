// Goal: collectPage() (the server's Range page over one or many groups) returns exactly the keys
// one sorted map would, page after page, with every page within the row and byte caps whatever
// limit was asked, and never reads a group twice, nor more than a step of rows, without yielding
// to the event loop in between. Method: fast-check over keys, value sizes, spread over groups and
// limits, against in-memory row sources.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectPage, countKeys, type PageBounds, type RowSource } from '../../../src/server/range-page.js';
import { compareKeys } from '../../../src/shard/range-merge.js';
import type { KeyValue } from '../../../src/storage/kv-types.js';

const bounds: PageBounds = { pageRowsMax: 7, pageBytesMax: 60, stepRowsMax: 3, countStepRowsMax: 4 };

function kvOf(key: Uint8Array, valueBytes: number): KeyValue {
  return { key, value: new Uint8Array(valueBytes), version: 1, createRevision: 1, modRevision: 1 };
}

/** A group's rows in memory; records each synchronous step so the test can check the yields. */
function source(rows: readonly KeyValue[], log: string[]): RowSource {
  const sorted = [...rows].sort((a, b) => compareKeys(a.key, b.key));
  return {
    read(after, rowsMax, bytesMax) {
      log.push('step');
      expect(rowsMax).toBeLessThanOrEqual(bounds.stepRowsMax);
      const rest = after === null ? sorted : sorted.filter((kv) => compareKeys(kv.key, after) > 0);
      const kvs: KeyValue[] = [];
      let bytes = 0;
      for (const kv of rest) {
        bytes += kv.key.byteLength + kv.value.byteLength;
        if (kvs.length === rowsMax || (kvs.length > 0 && bytes > bytesMax)) return { kvs, more: true };
        kvs.push(kv);
      }
      return { kvs, more: false };
    },
    countStep(from, rowsMax) {
      log.push('step');
      const rest = from === null ? sorted : sorted.filter((kv) => compareKeys(kv.key, from) >= 0);
      return { counted: Math.min(rowsMax, rest.length), next: rest[rowsMax]?.key ?? null };
    },
  };
}

const stepsOf = (log: string[]) => ({ yieldStep: () => (log.push('yield'), Promise.resolve()), guard: () => undefined });

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 3 });

describe('collectPage()', () => {
  it('pages through every group like one sorted map, within the caps, yielding between steps', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(fc.tuple(keyArb, fc.nat(40)), { maxLength: 80, selector: ([k]) => Array.from(k).join(',') }),
      fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 20 }),
      async (rows, groups, limit) => {
        const kvs = rows.map(([k, size]) => kvOf(k, size));
        const log: string[] = [];
        const sources = Array.from({ length: groups }, (_, g) => source(kvs.filter((kv) => (kv.key[0] ?? 0) % groups === g), log));
        const expected = kvs.map((kv) => kv.key).sort(compareKeys);
        const seen: Uint8Array[] = [];
        let after: Uint8Array | null = null;
        for (let page = 0; page <= expected.length; page++) {
          const got = await collectPage(sources, { after, count: null, limit: limit === 0 ? bounds.pageRowsMax : limit }, bounds, stepsOf(log));
          expect(got.kvs.length).toBeLessThanOrEqual(Math.min(bounds.pageRowsMax, limit === 0 ? bounds.pageRowsMax : limit));
          if (got.kvs.length > 1) expect(got.kvs.reduce((n, kv) => n + kv.key.byteLength + kv.value.byteLength, 0)).toBeLessThanOrEqual(bounds.pageBytesMax);
          expect(got.count).toBe(expected.length);
          seen.push(...got.kvs.map((kv) => kv.key));
          const last = got.kvs[got.kvs.length - 1];
          if (!got.more) break;
          expect(last).toBeDefined();
          after = last?.key ?? null;
        }
        expect(seen.map((k) => Array.from(k))).toEqual(expected.map((k) => Array.from(k)));
        // Every synchronous step follows a yield.
        log.forEach((entry, i) => entry === 'step' && expect(log[i - 1]).toBe('yield'));
      },
    ), { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 200) });
  });

  it('caps a page at pageRowsMax when asked for more', async () => {
    const kvs = Array.from({ length: 30 }, (_, i) => kvOf(new Uint8Array([i + 1]), 0));
    const log: string[] = [];
    const got = await collectPage([source(kvs, log)], { after: null, count: null, limit: 1_000_000 }, bounds, stepsOf(log));
    expect(got.kvs).toHaveLength(bounds.pageRowsMax);
    expect(got.more).toBe(true);
  });

  it('answers one row over the byte cap alone rather than nothing', async () => {
    const log: string[] = [];
    const got = await collectPage([source([kvOf(new Uint8Array([1]), 500), kvOf(new Uint8Array([2]), 1)], log)], { after: null, count: null, limit: 5 }, bounds, stepsOf(log));
    expect(got.kvs.map((kv) => kv.key[0])).toEqual([1]);
    expect(got.more).toBe(true);
  });

  it('takes the count a token carried instead of counting again', async () => {
    const log: string[] = [];
    const kvs = Array.from({ length: 30 }, (_, i) => kvOf(new Uint8Array([i + 1]), 0));
    const got = await collectPage([source(kvs, log)], { after: new Uint8Array([3]), count: 99, limit: 5 }, bounds, stepsOf(log));
    expect([got.count, got.kvs.map((kv) => kv.key[0])]).toEqual([99, [4, 5, 6, 7, 8]]);
    expect(log.filter((e) => e === 'step')).toHaveLength(2); // two reads of 3 rows, no count step
  });

  it('countKeys() counts every group in bounded steps', async () => {
    const log: string[] = [];
    const groups = [10, 0, 3].map((n, g) => source(Array.from({ length: n }, (_, i) => kvOf(new Uint8Array([g, i]), 1)), log));
    expect(await countKeys(groups, bounds, stepsOf(log))).toBe(13);
    expect(log.filter((e) => e === 'step').length).toBe(3 + 1 + 1);
  });

  it('stops with the guard\'s error when a group can no longer be read', async () => {
    const log: string[] = [];
    const steps = { yieldStep: () => Promise.resolve(), guard: () => { throw new Error('moved'); } };
    await expect(collectPage([source([kvOf(new Uint8Array([1]), 1)], log)], { after: null, count: null, limit: 5 }, bounds, steps)).rejects.toThrow('moved');
  });
});
