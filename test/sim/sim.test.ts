/**
 * Goal: the fixed simulator seeds that run under `npm test`. Method: seeds 1..N for 3- and 5-node
 * clusters with swarm-drawn faults, plus a smaller set under the figure-8 profile (leader churn).
 * Each run checks every safety property after every event, then demands liveness after healing.
 * A failure names the checker and prints the one-line replay command and the trace tail.
 * More seeds: `npm run test:sim -- --seeds 1000`.
 */
import { describe, expect, it } from 'vitest';
import { describeFailure, runSeed } from './run-seed.js';
import type { Profile } from './swarm.js';

const SWARM_SEEDS = 200;
const FIGURE8_SEEDS = 40;

const seeds = (count: number): number[] => Array.from({ length: count }, (_, i) => i + 1);

function expectSafeAndLive(seed: number, nodeCount: number, profile: Profile): void {
  const result = runSeed({ seed, nodeCount, profile, mutation: 'none' });
  expect(result.violation, describeFailure(result, 30)).toBeNull();
}

describe.each([3, 5])('a simulated %i-node cluster', (nodeCount) => {
  it.each(seeds(SWARM_SEEDS))('keeps safety and liveness under swarm faults, seed %i', (seed) => {
    expectSafeAndLive(seed, nodeCount, 'swarm');
  });

  it.each(seeds(FIGURE8_SEEDS))('keeps safety and liveness under figure-8 leader churn, seed %i', (seed) => {
    expectSafeAndLive(seed, nodeCount, 'figure8');
  });
});

/** Seeds that once failed, with what they found; each must stay clean. */
const REGRESSIONS: readonly { seed: number; nodeCount: number; profile: Profile; found: string }[] = [
  { seed: 4501, nodeCount: 3, profile: 'swarm', found: 'a quiet leader dropped a member\'s pre-votes inside its lease and never woke (liveness)' },
  { seed: 716, nodeCount: 5, profile: 'swarm', found: 'the same quiet-leader liveness bug with 5 nodes' },
  { seed: 5350, nodeCount: 5, profile: 'swarm', found: 'a snapshot received while a Ready was out had an older membership change replayed over it; the removed member stayed a voter (liveness)' },
];

describe('regression seeds', () => {
  it.each(REGRESSIONS)('seed $seed ($nodeCount nodes) stays clean: $found', ({ seed, nodeCount, profile }) => {
    expectSafeAndLive(seed, nodeCount, profile);
  });
});
