// Goal: the SDK's cached shard map (src/client/shard-map-cache.ts): one fetch on first use however
// many calls wait for it, refreshes bounded to one per SHARD_MAP_REFRESH_MS_MIN, failed refreshes
// keep the old map, and an older epoch never replaces a newer one. Method: a scripted source with
// a hand-moved clock.
import { describe, expect, it } from 'vitest';
import type { ShardMapInfo } from '../../../src/client/cluster-types.js';
import { SHARD_MAP_REFRESH_MS_MIN, ShardMapCache } from '../../../src/client/shard-map-cache.js';
import { loadKeyHasher } from '../../../src/shard/hasher.js';
import { shardMapInfo } from './shard-fixtures.js';

function setup(answers: (ShardMapInfo | Error)[]) {
  const clock = { ms: 1_000 };
  const seen: ShardMapInfo[] = [];
  let fetches = 0;
  let hashers = 0;
  const cache = new ShardMapCache({
    fetch: () => {
      const answer = answers[Math.min(fetches++, answers.length - 1)];
      return answer === undefined || answer instanceof Error ? Promise.reject(answer ?? new Error('no answer')) : Promise.resolve(answer);
    },
    loadHasher: () => {
      hashers++;
      return loadKeyHasher();
    },
    now: () => clock.ms,
    onFetched: (info) => seen.push(info),
  });
  return { cache, clock, seen, fetches: () => fetches, hashers: () => hashers };
}

const epoch = (n: number): ShardMapInfo => ({ ...shardMapInfo(3, 4, 3), epoch: n });

describe('ShardMapCache', () => {
  it('table() fetches once on first use, shared by concurrent callers, then serves the cache', async () => {
    const { cache, fetches, seen, hashers } = setup([epoch(1)]);
    const tables = await Promise.all([cache.table(1_000), cache.table(1_000), cache.table(1_000)]);
    expect(new Set(tables).size).toBe(1);
    await cache.table(1_000);
    expect([fetches(), seen.length, hashers(), tables[0]?.epoch]).toEqual([1, 1, 1, 1]);
  });

  it('table() on an unsharded cluster does not load the hasher', async () => {
    const { cache, hashers } = setup([{ epoch: 0, ranges: [], groups: [], nodes: [] }]);
    expect((await cache.table(1_000)).isSharded).toBe(false);
    expect(hashers()).toBe(0);
  });

  it('refresh() fetches at most once per SHARD_MAP_REFRESH_MS_MIN', async () => {
    const { cache, clock, fetches } = setup([epoch(1), epoch(2), epoch(3)]);
    await cache.table(1_000);
    clock.ms += SHARD_MAP_REFRESH_MS_MIN - 1;
    await Promise.all([cache.refresh(1_000), cache.refresh(1_000)]);
    expect(fetches()).toBe(1);
    clock.ms += 1;
    await Promise.all([cache.refresh(1_000), cache.refresh(1_000)]);
    expect([fetches(), cache.cached()?.epoch]).toEqual([2, 2]);
  });

  it('refresh() keeps the old map when the fetch fails or answers an older epoch', async () => {
    const { cache, clock, fetches } = setup([epoch(2), new Error('unreachable'), epoch(1)]);
    await cache.table(1_000);
    clock.ms += SHARD_MAP_REFRESH_MS_MIN;
    await expect(cache.refresh(1_000)).resolves.toBeUndefined();
    clock.ms += SHARD_MAP_REFRESH_MS_MIN;
    await cache.refresh(1_000);
    expect([fetches(), cache.cached()?.epoch]).toEqual([3, 2]);
  });

  it('table() rejects when the first fetch fails, and the next call fetches again', async () => {
    const { cache, fetches } = setup([new Error('unreachable'), epoch(1)]);
    await expect(cache.table(1_000)).rejects.toThrow('unreachable');
    expect((await cache.table(1_000)).epoch).toBe(1);
    expect(fetches()).toBe(2);
  });
});
