/**
 * Goal: key -> ring position for the multi-group simulator, through src/shard/hash-ring.ts's
 * ringPosition (hash tags and the 48-bit ring included). Method: a deterministic stand-in for
 * xxHash64 (64-bit FNV-1a over BigInt): xxhash-wasm loads asynchronously, the simulator is
 * synchronous, and only the spread of keys over the ring matters here, not the exact function.
 */
import { RING_SIZE, ringPosition, type KeyHasher } from '../../../src/shard/hash-ring.js';

const MASK_64 = (1n << 64n) - 1n;
const encoder = new TextEncoder();

export const standInHasher: KeyHasher = (bytes) => {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & MASK_64;
  }
  // A final avalanche so that short keys differing in one byte spread over the top bits too.
  hash ^= hash >> 33n;
  hash = (hash * 0xff51afd7ed558ccdn) & MASK_64;
  hash ^= hash >> 33n;
  return hash;
};

const cache = new Map<string, number>();

/** Ring position of a key, in [0, RING_SIZE). */
export function ringOf(key: string): number {
  let position = cache.get(key);
  if (position === undefined) {
    position = ringPosition(standInHasher, encoder.encode(key));
    cache.set(key, position);
  }
  return position;
}

export { RING_SIZE };
