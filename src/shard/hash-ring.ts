/**
 * Consistent hashing of keys onto Raft groups. A key's position on the ring is the top 48 bits of
 * its xxHash64 (fast, well studied, identical on every platform and language, so any client can
 * route); the ring [0, 2^48) is cut into contiguous ranges, each owned by one group. 48 bits keep
 * positions exact JavaScript numbers (JSON- and SQLite-safe) while leaving room for ~10^14 splits.
 *
 * Hash tags (the Redis Cluster rule): if a key holds "{", then "}" later, with at least one byte
 * between, only the bytes between the first "{" and the next "}" are hashed. Keys sharing a tag
 * land in one group and can share a transaction: "user:{42}:name" and "user:{42}:email".
 *
 * Pure: the hash function is injected (see hasher.ts), so this module has no I/O or state.
 */
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';

export const RING_SIZE = 2 ** 48;

/** xxHash64 of the bytes, as an unsigned 64-bit BigInt. */
export type KeyHasher = (bytes: Uint8Array) => bigint;

export interface RingRange {
  /** Inclusive. */
  readonly start: number;
  /** Exclusive; RING_SIZE for the last range. */
  readonly end: number;
  readonly group: GroupId;
}

const OPEN = 0x7b; // "{"
const CLOSE = 0x7d; // "}"

/** The bytes that decide a key's group: its hash tag if it has a non-empty one, else the key. */
export function hashTagOf(key: Uint8Array): Uint8Array {
  const open = key.indexOf(OPEN);
  if (open < 0) return key;
  const close = key.indexOf(CLOSE, open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.subarray(open + 1, close);
}

export function ringPosition(hasher: KeyHasher, key: Uint8Array): number {
  return Number(hasher(hashTagOf(key)) >> 16n);
}

export class HashRing {
  /** Sorted by start; contiguous; covering [0, RING_SIZE). */
  readonly ranges: readonly RingRange[];

  constructor(ranges: readonly RingRange[]) {
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    checkCovers(sorted);
    this.ranges = sorted;
  }

  /** `count` ranges of (nearly) equal width, owned by `groups` in order. */
  static even(groups: readonly GroupId[]): HashRing {
    assert(groups.length > 0, 'A ring needs at least one group');
    const width = Math.floor(RING_SIZE / groups.length);
    return new HashRing(groups.map((group, i) => ({
      start: i * width,
      end: i === groups.length - 1 ? RING_SIZE : (i + 1) * width,
      group,
    })));
  }

  rangeAt(position: number): RingRange {
    assert(Number.isInteger(position) && position >= 0 && position < RING_SIZE, `Ring position ${position} out of range`);
    let lo = 0;
    let hi = this.ranges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      const range = this.ranges[mid];
      assert(range !== undefined, 'Ring range missing');
      if (range.start <= position) lo = mid;
      else hi = mid - 1;
    }
    const found = this.ranges[lo];
    assert(found !== undefined, 'Ring has no ranges');
    return found;
  }

  groupOf(hasher: KeyHasher, key: Uint8Array): GroupId {
    return this.rangeAt(ringPosition(hasher, key)).group;
  }

  groups(): GroupId[] {
    return [...new Set(this.ranges.map((r) => r.group))];
  }

  /** A ring where `group`'s range is cut at its midpoint; the upper half goes to `newGroup`. */
  split(group: GroupId, newGroup: GroupId): HashRing {
    const owned = this.ranges.filter((r) => r.group === group);
    assert(owned.length === 1, `Group ${group} must own exactly one range to split, owns ${owned.length}`);
    const [range] = owned;
    assert(range !== undefined && range.end - range.start >= 2, `Group ${group}'s range is too small to split`);
    const mid = range.start + Math.floor((range.end - range.start) / 2);
    const others = this.ranges.filter((r) => r !== range);
    return new HashRing([...others, { start: range.start, end: mid, group }, { start: mid, end: range.end, group: newGroup }]);
  }
}

function checkCovers(sorted: readonly RingRange[]): void {
  assert(sorted.length > 0, 'A ring needs at least one range');
  let expected = 0;
  for (const range of sorted) {
    assert(range.start === expected, `Ring ranges must be contiguous: expected a range at ${expected}, found ${range.start}`);
    assert(range.end > range.start, `Ring range [${range.start}, ${range.end}) is empty`);
    expected = range.end;
  }
  assert(expected === RING_SIZE, `Ring ranges end at ${expected}, not at ${RING_SIZE}`);
}
