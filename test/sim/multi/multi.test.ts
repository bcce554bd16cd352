/**
 * Goal: the multi-group simulator under `npm test`: fixed seeds of 3- and 5-node clusters with
 * 2-4 groups, replica moves, node adds and drains, splits and swarm-drawn faults, each checked for
 * per-group Raft safety, ownership, linearizability and liveness; and proof that the checkers bite
 * (mutations): a split that leaves the parent's range in place, and a GC that trusts a replica
 * however far behind it is, must each be caught within a bounded number of seeds, on a seed the
 * server's rule passes. The fixed seeds run the server's GC as src/ has it ('none'); each finding
 * (FINDINGS.md M1-M5) is pinned on a seed one variant passes and another fails: the fixed ones
 * fail with a mutation undoing the fix, the open M5 fails as the server has it.
 * More seeds: `npx tsx test/sim/multi/cli.ts --seeds 300`.
 */
import { describe, expect, it } from 'vitest';
import { describeMultiFailure, multiReplayCommand, runMultiSeed, type MultiMutation } from './run-multi.js';

const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
const MUTATION_SEEDS_MAX = 30;

describe.each([3, 5])('a simulated %i-node multi-group cluster', (nodeCount) => {
  it.each(SEEDS)('keeps every group safe, ownership exclusive, clients linearizable and converges, seed %i', (seed) => {
    const result = runMultiSeed({ seed, nodeCount, mutation: 'none' });
    expect(result.violation, describeMultiFailure(result, 30)).toBeNull();
  });
});

// FINDINGS.md M4.2: a deleted replica's late acknowledgement set its successor's match, and the
// leader ignored the empty successor's refusals for good. These seeds got stuck that way once
// followers learned commits from the next append instead of a broadcast; Progress.lostLog fixed it.
it.each([{ seed: 151, nodeCount: 3 }, { seed: 128, nodeCount: 5 }])('a replica that lost its log is caught up again, seed $seed ($nodeCount nodes)', ({ seed, nodeCount }) => {
  const result = runMultiSeed({ seed, nodeCount, mutation: 'none' });
  expect(result.violation, describeMultiFailure(result, 30)).toBeNull();
});

const MUTATIONS: readonly { mutation: MultiMutation; rule: string; historyOnly: boolean; checkers: readonly string[] }[] = [
  { mutation: 'split-parent-keeps-range', rule: 'a split that leaves the parent serving the moved range', historyOnly: false, checkers: ['ownership'] },
  { mutation: 'split-parent-keeps-range', rule: 'the same split bug, by the client history alone', historyOnly: true, checkers: ['linearizability'] },
  { mutation: 'gc-ignores-applied', rule: 'a GC that trusts a proof replica behind the one it destroys', historyOnly: false, checkers: ['gc-safety'] },
];

describe('multi-group checkers against injected bugs', () => {
  it.each(MUTATIONS)('catch $rule', ({ mutation, historyOnly, checkers }) => {
    for (let seed = 1; seed <= MUTATION_SEEDS_MAX; seed++) {
      for (const nodeCount of [3, 5]) {
        const violation = runMultiSeed({ seed, nodeCount, mutation, historyOnly }).violation;
        if (violation === null || !checkers.includes(violation.checker)) continue;
        if (runMultiSeed({ seed, nodeCount, mutation: 'none', historyOnly }).violation !== null) continue;
        console.info(`${mutation}: caught at seed ${seed} (${nodeCount} nodes): [${violation.checker}] ${violation.message}\n  replay: ${multiReplayCommand({ seed, nodeCount, mutation, historyOnly })}`);
        return;
      }
    }
    expect.fail(`${mutation} was not caught within ${MUTATION_SEEDS_MAX} seeds`);
  });
});

/**
 * Seeds that found a flaw in the design, each failing with `mutation` (the flaw) and passing with
 * `clean`. Fixed flaws: `clean` is the server's rule ('none') and `mutation` undoes the fix. Open
 * flaws: `mutation` is 'none' and `clean` models the proposed fix.
 */
const FINDINGS: readonly { seed: number; nodeCount: number; mutation: MultiMutation; clean: MultiMutation; checker: string; livenessBudgetMs?: number; found: string }[] = [
  {
    seed: 10, nodeCount: 5, mutation: 'gc-as-stated', clean: 'none', checker: 'liveness', livenessBudgetMs: 500,
    found: 'a proof lagging behind a learner\'s addition destroyed it, and the leader ignores its recreated replica\'s rejections (M1)',
  },
  { seed: 4, nodeCount: 5, mutation: 'gc-trusts-empty', clean: 'none', checker: 'gc-safety', found: 'an empty replica\'s answer (members [], applied 0) deleted a voter\'s empty replica (M3)' },
  { seed: 1040, nodeCount: 5, mutation: 'gc-no-vote-floor', clean: 'none', checker: 'committed-entries', found: 'a replica created again after GC voted for a stale candidate, which overwrote a committed entry (M4)' },
  { seed: 512, nodeCount: 3, mutation: 'gc-no-vote-floor', clean: 'none', checker: 'state-machine-safety', found: 'the same, at 3 nodes (M4); caught as divergent applies since followers refuse a second leader of one term (issue #14)' },
  {
    seed: 1774, nodeCount: 3, mutation: 'gc-floor-allows-campaign', clean: 'none', checker: 'leader-completeness',
    found: 'a replica created again after GC, below its vote floor, campaigned and counted its own vote (M5; also test/unit/raft/vote-floor.test.ts)',
  },
];

describe('multi-group findings', () => {
  it.each(FINDINGS)('seed $seed ($nodeCount nodes) passes with $clean, fails with $mutation: $found', ({ seed, nodeCount, mutation, clean, checker, livenessBudgetMs }) => {
    const passing = runMultiSeed({ seed, nodeCount, mutation: clean });
    expect(passing.violation, describeMultiFailure(passing, 30)).toBeNull();
    expect(runMultiSeed({ seed, nodeCount, mutation, ...(livenessBudgetMs === undefined ? {} : { livenessBudgetMs }) }).violation?.checker).toBe(checker);
  });
});
