/**
 * Goal: proof that the simulator's checkers bite. Method: run a RaftNode subclass that breaks one
 * classic rule (mutations.ts) over seeds 1, 2, ... (3 and 5 nodes each) until one of the checkers
 * expected for that bug fires, and require that within a bound. A seed only counts if the real
 * RaftNode passes the very same run, so a bug in the real core cannot pass for a caught mutation.
 * The number of seeds each mutation needed is printed.
 */
import { describe, expect, it } from 'vitest';
import type { CheckerName } from './checkers/violation.js';
import type { MutationName } from './mutations.js';
import { replayCommand, runSeed, type SeedParams } from './run-seed.js';
import type { Profile } from './swarm.js';

const SEEDS_MAX = 500;

interface MutationCase {
  readonly mutation: MutationName;
  readonly rule: string;
  readonly profile: Profile;
  readonly checkers: readonly CheckerName[];
}

const CASES: readonly MutationCase[] = [
  {
    mutation: 'commit-earlier-term',
    rule: 'commits an earlier-term entry by counting replicas',
    profile: 'figure8',
    checkers: ['leader-completeness', 'committed-entries', 'state-machine-safety'],
  },
  {
    mutation: 'vote-without-log-check',
    rule: 'grants votes without the up-to-date log check',
    profile: 'swarm',
    checkers: ['leader-completeness', 'committed-entries', 'state-machine-safety'],
  },
  {
    mutation: 'read-without-heartbeat',
    rule: 'answers ReadIndex without a heartbeat round',
    profile: 'figure8',
    checkers: ['linearizable-reads'],
  },
  {
    mutation: 'ack-before-persist',
    rule: 'acknowledges appends before they are durable',
    profile: 'swarm',
    checkers: ['commit-quorum', 'committed-entries', 'state-machine-safety'],
  },
  {
    mutation: 'count-self-before-persist',
    rule: 'counts its own entries toward commit before they are durable',
    profile: 'swarm',
    checkers: ['commit-quorum', 'committed-entries', 'state-machine-safety'],
  },
];

interface Catch {
  readonly params: SeedParams;
  readonly runs: number;
  readonly message: string;
}

function hunt(c: MutationCase): Catch | null {
  let runs = 0;
  for (let seed = 1; seed <= SEEDS_MAX; seed++) {
    for (const nodeCount of [3, 5]) {
      runs++;
      const params: SeedParams = { seed, nodeCount, profile: c.profile, mutation: c.mutation };
      const violation = runSeed(params).violation;
      if (violation === null || !c.checkers.includes(violation.checker)) continue;
      if (runSeed({ ...params, mutation: 'none' }).violation !== null) continue; // The real core fails here too.
      return { params, runs, message: `[${violation.checker}] ${violation.message}` };
    }
  }
  return null;
}

describe('simulator checkers against injected bugs', () => {
  it.each(CASES.map((c) => [c.rule, c] as const))('catch a RaftNode that %s within the seed bound', (_rule, c) => {
    const caught = hunt(c);
    expect(caught, `${c.mutation} was not caught within ${SEEDS_MAX} seeds`).not.toBeNull();
    if (caught === null) return;
    console.info(`${c.mutation}: caught at seed ${caught.params.seed} (${caught.params.nodeCount} nodes) after ${caught.runs} runs: ${caught.message}\n  replay: ${replayCommand(caught.params)}`);
    expect(caught.params.seed).toBeLessThanOrEqual(SEEDS_MAX);
  });
});
