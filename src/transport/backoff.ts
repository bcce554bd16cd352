/**
 * Reconnect delays: exponential from `minMs`, capped at `maxMs`, with jitter so that nodes which
 * lost the same peer at the same moment do not all redial it in the same millisecond.
 */
import { assert } from '../shared/assert.js';

/** Attempts past this no longer grow the delay (2^20 * minMs is far above any sane max). */
const EXPONENT_MAX = 20;

/**
 * Delay before reconnect attempt `attempt` (0 for the first after a failure). The ceiling doubles
 * per attempt; the delay is drawn from the upper half of [0, ceiling] ("equal jitter"), so it grows
 * steadily yet two nodes rarely agree. `random` returns [0, 1), as Math.random.
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  assert(Number.isSafeInteger(attempt) && attempt >= 0, `attempt must be a non-negative integer, got ${attempt}`);
  assert(minMs >= 1 && minMs <= maxMs, `backoff bounds must satisfy 1 <= min <= max, got ${minMs}..${maxMs}`);
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, EXPONENT_MAX));
  const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.min(maxMs, Math.max(minMs, jittered));
}
