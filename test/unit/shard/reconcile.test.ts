/**
 * Goal: nextReconcileStep() (src/shard/reconcile.ts) takes one safe membership step at a time
 * toward the wanted replica set, in the documented rule order, and a leader that keeps applying it
 * reaches the wanted membership without ever dropping below the voters it needs.
 * Method: a table with one row per rule (and the rules' precedence); then a simulation that plays
 * leader: it applies each step's change with applyConfChange() (checked first by checkConfChange(),
 * as the core does), follows leadership transfers, and checks invariants after every step, over
 * seeded random memberships (src/shared/rng.ts) with members randomly lagging behind the commit.
 */
import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import { applyConfChange, checkConfChange } from '../../../src/raft/conf-change.js';
import type { ConfState } from '../../../src/raft/types.js';
import { nextReconcileStep, type ReconcileInput, type ReconcileStep } from '../../../src/shard/reconcile.js';

const ids = (...list: number[]): NodeId[] => list.map(nodeId);
const COMMIT = 100;

interface Row {
  readonly voters: number[];
  readonly learners?: number[];
  readonly wantVoters: number[];
  readonly wantLearners?: number[];
  readonly self?: number;
  /** Members whose match is below the commit. */
  readonly lagging?: number[];
  /** Nodes with no known address. */
  readonly noAddress?: number[];
}

function inputOf(row: Row): ReconcileInput {
  return {
    self: nodeId(row.self ?? 1),
    conf: { voters: ids(...row.voters), learners: ids(...(row.learners ?? [])) },
    wantVoters: ids(...row.wantVoters),
    wantLearners: ids(...(row.wantLearners ?? [])),
    matchOf: (node) => ((row.lagging ?? []).includes(node) ? COMMIT - 1 : COMMIT),
    commit: COMMIT,
    addressOf: (node) => ((row.noAddress ?? []).includes(node) ? undefined : `h${node}:7000`),
  };
}

const addVoter = (node: number): ReconcileStep => ({ kind: 'change', change: { type: 'addVoter', node: nodeId(node) } });
const addLearner = (node: number): ReconcileStep => ({ kind: 'change', change: { type: 'addLearner', node: nodeId(node), address: `h${node}:7000` } });
const remove = (node: number): ReconcileStep => ({ kind: 'change', change: { type: 'removeNode', node: nodeId(node) } });
const transfer = (node: number): ReconcileStep => ({ kind: 'transfer', to: nodeId(node) });

describe('nextReconcileStep() rules', () => {
  it.each<[string, Row, ReconcileStep | null]>([
    ['promotes a wanted learner that has caught up', { voters: [1, 2, 3], learners: [4], wantVoters: [1, 2, 3, 4] }, addVoter(4)],
    ['waits for a wanted learner that lags (nothing else to do)', { voters: [1, 2, 3], learners: [4], wantVoters: [1, 2, 3, 4], lagging: [4] }, null],
    ['does not promote a node wanted only as a learner', { voters: [1, 2, 3], learners: [4], wantVoters: [1, 2, 3], wantLearners: [4] }, null],
    ['promotes before adding', { voters: [1, 2, 3], learners: [4], wantVoters: [1, 2, 3, 4, 5] }, addVoter(4)],
    ['adds a missing wanted voter as a learner, with its address', { voters: [1, 2, 3], wantVoters: [1, 2, 3, 4] }, addLearner(4)],
    ['adds a missing wanted learner as a learner', { voters: [1, 2, 3], wantVoters: [1, 2, 3], wantLearners: [6] }, addLearner(6)],
    ['adds wanted voters before wanted learners', { voters: [1], wantVoters: [1, 5], wantLearners: [4] }, addLearner(5)],
    ['skips a missing node without an address and adds the next one', { voters: [1, 2, 3], wantVoters: [1, 2, 3, 4, 5], noAddress: [4] }, addLearner(5)],
    ['adds before removing an unwanted voter', { voters: [1, 2, 3], wantVoters: [1, 2, 4] }, addLearner(4)],
    ['does not remove an unwanted voter while a wanted voter has no address yet', { voters: [1, 2, 3], wantVoters: [1, 2, 4], noAddress: [4] }, null],
    ['does not remove an unwanted voter while a wanted voter is still a lagging learner', { voters: [1, 2, 3], learners: [4], wantVoters: [1, 2, 4], lagging: [4] }, null],
    ['removes an unwanted voter once every wanted voter votes', { voters: [1, 2, 3, 4], wantVoters: [1, 2, 4] }, remove(3)],
    ['removes unwanted voters in membership order', { voters: [1, 2, 3, 4, 5], wantVoters: [1, 4, 5] }, remove(2)],
    ['hands leadership to a caught-up wanted voter when the unwanted voter is itself', { voters: [1, 2, 3, 4], wantVoters: [2, 3, 4] }, transfer(2)],
    ['skips a lagging heir', { voters: [1, 2, 3, 4], wantVoters: [2, 3, 4], lagging: [2] }, transfer(3)],
    ['waits when no wanted voter is caught up to take over', { voters: [1, 2, 3, 4], wantVoters: [2, 3, 4], lagging: [2, 3, 4] }, null],
    ['removes an unwanted learner', { voters: [1, 2, 3], learners: [5], wantVoters: [1, 2, 3] }, remove(5)],
    ['removes unwanted voters before unwanted learners', { voters: [1, 2, 3, 4], learners: [5], wantVoters: [1, 2, 3] }, remove(4)],
    ['keeps a learner that is wanted as a learner', { voters: [1, 2, 3], learners: [5], wantVoters: [1, 2, 3], wantLearners: [5] }, null],
    ['returns null when the membership is as wanted', { voters: [1, 2, 3], wantVoters: [3, 1, 2] }, null],
  ])('%s', (_name, row, expected) => {
    expect(nextReconcileStep(inputOf(row))).toEqual(expected);
  });
});

// ---- Simulation -------------------------------------------------------------------------------

/** Steps a run may take; each step is one conf change or one transfer, so far more than needed. */
const STEPS_MAX = 500;

interface Run {
  readonly conf: ConfState;
  readonly self: NodeId;
  readonly wantVoters: readonly NodeId[];
  readonly wantLearners: readonly NodeId[];
}

const sorted = (list: readonly NodeId[]): NodeId[] => [...list].sort((a, b) => a - b);

/**
 * Plays leader until nextReconcileStep() answers null while everyone is caught up. `lagProbability`
 * makes each member miss the commit on a given step. Returns the final membership.
 */
function reconcile(start: Run, rng: SeededRng, lagProbability: number): { conf: ConfState; steps: number } {
  let { conf, self } = start;
  const { wantVoters, wantLearners } = start;
  const floor = Math.min(start.conf.voters.length, wantVoters.length);
  let allWantedVote = false;
  for (let step = 0; step < STEPS_MAX; step++) {
    const lagging = new Set([...conf.voters, ...conf.learners].filter((node) => node !== self && rng.nextFloat() < lagProbability));
    const input: ReconcileInput = {
      self, conf, wantVoters, wantLearners, commit: COMMIT,
      matchOf: (node) => (lagging.has(node) ? COMMIT - 1 : COMMIT),
      addressOf: (node) => `h${node}:7000`,
    };
    const next = nextReconcileStep(input);
    if (next === null) {
      if (lagging.size === 0) return { conf, steps: step };
      continue;
    }
    if (next.kind === 'transfer') {
      // Only to a caught-up voter that the map wants; the leader never hands over to itself.
      expect(conf.voters).toContain(next.to);
      expect(wantVoters).toContain(next.to);
      expect(next.to).not.toBe(self);
      expect(lagging.has(next.to)).toBe(false);
      self = next.to;
      continue;
    }
    const { change } = next;
    expect(checkConfChange(conf, change)).toBeNull();
    if (change.type === 'removeNode') expect(change.node).not.toBe(self); // the leader never removes itself
    if (change.type === 'addVoter') expect(lagging.has(change.node)).toBe(false);
    const after = applyConfChange(conf, change);
    // One server at a time: the voter sets differ by at most one node.
    const changed = [...after.voters.filter((v) => !conf.voters.includes(v)), ...conf.voters.filter((v) => !after.voters.includes(v))];
    expect(changed.length).toBeLessThanOrEqual(1);
    // Voters never fall below what both the old and the wanted sets have.
    expect(after.voters.length).toBeGreaterThanOrEqual(floor);
    // Once every wanted voter votes, that stays true.
    const wantedVote = wantVoters.every((v) => after.voters.includes(v));
    if (allWantedVote) expect(wantedVote).toBe(true);
    allWantedVote = wantedVote;
    expect(after.voters).toContain(self);
    conf = after;
  }
  throw new Error(`no convergence in ${STEPS_MAX} steps`);
}

/** A distinct random subset of 1..7, possibly empty. */
function subset(rng: SeededRng, exclude: readonly NodeId[] = []): NodeId[] {
  return ids(1, 2, 3, 4, 5, 6, 7).filter((node) => !exclude.includes(node) && rng.nextInt(2) === 1);
}

function randomRun(rng: SeededRng): Run {
  let voters = subset(rng);
  if (voters.length === 0) voters = ids(1 + rng.nextInt(7));
  const learners = subset(rng, voters);
  let wantVoters = subset(rng);
  if (wantVoters.length === 0) wantVoters = ids(1 + rng.nextInt(7));
  const wantLearners = subset(rng, wantVoters);
  const self = voters[rng.nextInt(voters.length)] ?? voters[0];
  return { conf: { voters, learners }, self: self as NodeId, wantVoters, wantLearners };
}

describe('nextReconcileStep() driven to the end', () => {
  it('replaces every voter of a group (1,2,3 -> 4,5,6) with the leader among the leavers', () => {
    const start: Run = { conf: { voters: ids(1, 2, 3), learners: [] }, self: nodeId(1), wantVoters: ids(4, 5, 6), wantLearners: [] };
    const { conf, steps } = reconcile(start, new SeededRng(1), 0);
    expect(sorted(conf.voters)).toEqual(ids(4, 5, 6));
    expect(conf.learners).toEqual([]);
    // 3 adds, 3 promotions, 1 transfer, 3 removals.
    expect(steps).toBe(10);
  });

  it.each(Array.from({ length: 200 }, (_, i) => i + 1))('seed %i: reaches the wanted voters and learners safely', (seed) => {
    const rng = new SeededRng(seed);
    const start = randomRun(rng);
    const { conf } = reconcile(start, rng, 0.3);
    expect(sorted(conf.voters), `seed ${seed}`).toEqual(sorted(start.wantVoters));
    expect(sorted(conf.learners), `seed ${seed}`).toEqual(sorted(start.wantLearners));
  });
});
