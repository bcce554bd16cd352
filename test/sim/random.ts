/**
 * Goal: small helpers over the seeded Rng so that fault and workload code reads as intent.
 * Method: every helper draws from the Rng it is given and nothing else, so runs replay from a seed.
 */
import { assert } from '../../src/shared/assert.js';
import type { Rng } from '../../src/shared/rng.js';

/** True with the given probability; draws nothing when the probability is 0. */
export function chance(rng: Rng, probability: number): boolean {
  return probability > 0 && rng.nextFloat() < probability;
}

export function pick<T>(rng: Rng, values: readonly T[]): T {
  assert(values.length > 0, 'Cannot pick from an empty list');
  const value = values[rng.nextInt(values.length)];
  assert(value !== undefined, 'Picked past the end of the list');
  return value;
}

/** Uniform integer in [min, max]. */
export function between(rng: Rng, min: number, max: number): number {
  assert(max >= min, `Empty range [${min}, ${max}]`);
  return min + rng.nextInt(max - min + 1);
}

export function shuffled<T>(rng: Rng, values: readonly T[]): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const a = out[i];
    const b = out[j];
    assert(a !== undefined && b !== undefined, 'Shuffle index out of range');
    out[i] = b;
    out[j] = a;
  }
  return out;
}
