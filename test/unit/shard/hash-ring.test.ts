/**
 * The hash ring: tag extraction follows the Redis Cluster rule, positions are stable (pinned
 * xxHash64 values, so clients in any language route alike), and lookups and splits keep the
 * ring contiguous. A property compares lookup with a linear scan.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId } from '../../../src/shared/ids.js';
import { HashRing, RING_SIZE, hashTagOf, ringPosition } from '../../../src/shard/hash-ring.js';
import { loadKeyHasher } from '../../../src/shard/hasher.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('hash ring', () => {
  it.each([
    ['user:{42}:name', '42'],
    ['{42}', '42'],
    ['a{}b', 'a{}b'],
    ['a{b', 'a{b'],
    ['a}b{c}', 'c'],
    ['{x}{y}', 'x'],
    ['plain', 'plain'],
  ])('hashTagOf(%j) is %j', (key, tag) => {
    expect(text(hashTagOf(bytes(key)))).toBe(tag);
  });

  it('ringPosition() is the top 48 bits of xxHash64 of the tag (pinned values)', async () => {
    const hasher = await loadKeyHasher();
    expect(hasher(bytes('hello'))).toBe(2794345569481354659n);
    expect(ringPosition(hasher, bytes('hello'))).toBe(Number(2794345569481354659n >> 16n));
    expect(ringPosition(hasher, bytes('user:{42}:name'))).toBe(ringPosition(hasher, bytes('user:{42}:email')));
  });

  it('HashRing.even() covers the ring with equal ranges in group order', () => {
    const ring = HashRing.even([groupId(1), groupId(2), groupId(3)]);
    expect(ring.ranges.map((r) => r.group)).toEqual([1, 2, 3]);
    expect(ring.ranges[0]?.start).toBe(0);
    expect(ring.ranges[2]?.end).toBe(RING_SIZE);
  });

  it('HashRing rejects ranges with a gap', () => {
    expect(() => new HashRing([{ start: 0, end: 10, group: groupId(1) }, { start: 11, end: RING_SIZE, group: groupId(2) }])).toThrow(/contiguous/);
  });

  it('rangeAt() agrees with a linear scan for any position', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: RING_SIZE - 1 }), (count, position) => {
      const ring = HashRing.even(Array.from({ length: count }, (_, i) => groupId(i + 1)));
      const linear = ring.ranges.find((r) => r.start <= position && position < r.end);
      expect(ring.rangeAt(position)).toBe(linear);
    }));
  });

  it('split() halves one range and hands the upper half to the new group', () => {
    const ring = HashRing.even([groupId(1), groupId(2)]).split(groupId(1), groupId(3));
    expect(ring.ranges.map((r) => r.group)).toEqual([1, 3, 2]);
    expect(ring.ranges[0]?.end).toBe(ring.ranges[1]?.start);
  });

  it('groupOf() spreads 100k keys over 16 groups within 10% of even', async () => {
    const hasher = await loadKeyHasher();
    const ring = HashRing.even(Array.from({ length: 16 }, (_, i) => groupId(i + 1)));
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      const g = ring.groupOf(hasher, bytes(`key-${i}`));
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(Math.abs(count - 6250) / 6250).toBeLessThan(0.1);
  });
});
