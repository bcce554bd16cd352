/**
 * Goal: the knobs of one multi-group run, drawn from its seed. Method: the single-group swarm draw
 * (core tuning, network, faults, disk) comes first, unchanged, then the multi-group knobs: node
 * and group counts, client and operator rates. Add knobs at the end so seeds keep their options.
 */
import type { Rng } from '../../../src/shared/rng.js';
import { pick } from '../random.js';
import { drawOptions, type SimOptions } from '../swarm.js';
import type { GcRule } from './gc.js';

export interface OperatorRates {
  /** Per operator step: start a replica move of a random group. */
  readonly move: number;
  readonly split: number;
  readonly addNode: number;
  /** Drain a node (move all its replicas away), then stop it. */
  readonly removeNode: number;
}

export interface MultiOptions {
  readonly sim: SimOptions;
  readonly groupCount: number;
  readonly replicationFactor: number;
  /** Groups there may ever be (splits stop there). */
  readonly groupsMax: number;
  /** Nodes there may ever be (node adds stop there). */
  readonly nodesMax: number;
  readonly operatorStepMs: number;
  readonly operator: OperatorRates;
  /** Per client per workload step: start an operation if idle. */
  readonly opRate: number;
  readonly keyCount: number;
  readonly clientCount: number;
}

export interface MultiFaults {
  /** Mutation proofs: a split that leaves the parent's range (and keys) in place. */
  readonly parentKeepsRange: boolean;
  /** GC rule (gc.ts): 'server', or an earlier or deliberately weaker one. */
  readonly gcRule: GcRule;
  /** What a destroyed replica leaves behind: see `TombstoneMode`. */
  readonly tombstones: TombstoneMode;
  /**
   * Whether a replica created again over a tombstone is started with the real RaftNode option
   * `voteFloor` = the tombstone's applied index (no vote nor pre-vote while its log ends below it),
   * as src/server/groups.ts does. Off: the server before that change (FINDINGS.md M4).
   */
  readonly voteFloor: boolean;
  /**
   * Whether a split founds the child over a tombstone of it. The server does not (src/storage/
   * split-apply.ts: a tombstone counts as state, only the moved keys leave the parent); it did
   * before the change that closed M3 and M4.
   */
  readonly splitFoundsOverTombstone: boolean;
  /**
   * Whether a message from a replica that has since been destroyed is dropped on arrival (a replica
   * id per incarnation, like TiKV's peer ids). The server has none: a destroyed replica's late
   * message counts for its successor (FINDINGS.md M4.2).
   */
  readonly replicaIncarnations: boolean;
  /**
   * Mutation: a replica below its vote floor campaigns anyway (RaftNode.isPromotable without the
   * floor, a subclass in run-multi.ts), undoing the fix for FINDINGS.md M5.
   */
  readonly floorAllowsCampaign: boolean;
}

/**
 * 'term' (the server): a leader's message of the tombstone's term or later recreates the replica
 * empty, a lower one is ignored. 'forever' (this simulator's earlier rule): the replica is never
 * recreated. 'none' (a mutation): any leader's message recreates it, and there is no vote floor.
 */
export type TombstoneMode = 'term' | 'forever' | 'none';

/** The server's GC as src/ has it (replica-gc.ts, groups.ts, split-apply.ts, RaftConfig.voteFloor). */
export const NO_MULTI_FAULTS: MultiFaults = {
  parentKeepsRange: false, gcRule: 'server', tombstones: 'term', voteFloor: true, splitFoundsOverTombstone: false, replicaIncarnations: false, floorAllowsCampaign: false,
};

export function drawMultiOptions(rng: Rng, seed: number, nodeCount: number): MultiOptions {
  const drawn = drawOptions(rng, seed, nodeCount, 'swarm');
  const sim: SimOptions = {
    ...drawn,
    faultPhaseMs: 2_500,
    livenessBudgetMs: 15_000,
    bounds: { ...drawn.bounds, eventsQueuedMax: 200_000, messagesInFlightMax: 30_000, proposalsInFlightMax: 64 },
  };
  const groupCount = pick(rng, [2, 3, 4]);
  return {
    sim,
    groupCount,
    replicationFactor: 3,
    groupsMax: groupCount + pick(rng, [1, 2, 4]),
    nodesMax: nodeCount + 2,
    operatorStepMs: 50,
    operator: {
      move: pick(rng, [0.05, 0.15, 0.3]),
      split: pick(rng, [0.02, 0.06, 0.15]),
      addNode: pick(rng, nodeCount <= 3 ? [0.02, 0.05] : [0, 0.02, 0.05]),
      removeNode: pick(rng, [0, 0.01, 0.03]),
    },
    opRate: pick(rng, [0.05, 0.2, 0.5]),
    keyCount: pick(rng, [4, 8, 16]),
    clientCount: 4,
  };
}
