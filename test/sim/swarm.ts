/**
 * Goal: the knobs of one simulated run, drawn from the seed (swarm testing, as TigerBeetle's
 * options_swarm): some seeds have no loss and others heavy loss, some crash often and some never,
 * some run PreVote/CheckQuorum off, tiny append batches, or one append in flight. A uniform fault
 * mix hides bugs that need one fault to be frequent and another absent.
 * Method: draw every knob from a fixed menu with a stream of its own. The 'figure8' profile keeps
 * the mix on leader churn: isolate or crash each new leader soon after it appends (thesis Figure 3.7).
 */
import type { RaftConfig } from '../../src/raft/config.js';
import type { Rng } from '../../src/shared/rng.js';
import type { NetworkFaults } from './network.js';
import { pick } from './random.js';

export type Profile = 'swarm' | 'figure8';
export const PROFILES: readonly Profile[] = ['swarm', 'figure8'];

/** The core settings a seed draws: the tuning half of RaftConfig. */
export type CoreTuning = Pick<RaftConfig, 'electionTicks' | 'heartbeatTicks' | 'preVote' | 'checkQuorum' | 'leaseReads' | 'quiesce'
  | 'inflightMessagesMax' | 'appendBytesMax' | 'snapshotChunkBytesMax' | 'uncommittedBytesMax' | 'pendingReadsMax'>;

/** Probabilities per fault step. */
export interface FaultRates {
  readonly crash: number;
  readonly downtimeMaxMs: number;
  /** Nodes down at once (never more). */
  readonly nodesDownMax: number;
  /** Stop a process for a while (GC pause, SIGSTOP): no ticks, input waits, nothing is lost. */
  readonly pause: number;
  readonly pauseMaxMs: number;
  /** Ticks missed in a pause are lost (a setInterval runtime) instead of replayed on resume. */
  readonly pauseDropsTicks: boolean;
  readonly partition: number;
  readonly partitionMaxMs: number;
  readonly clog: number;
  /** Cut the current leader off (both ways) for a while: a deposed leader that does not know it. */
  readonly isolateLeader: number;
  /** Figure 8: cut a newly elected leader off shortly after it appends. */
  readonly isolateNewLeader: number;
  readonly crashNewLeader: number;
}

/** Probabilities per workload step. */
export interface WorkloadRates {
  readonly propose: number;
  readonly read: number;
  readonly transfer: number;
  readonly membership: number;
  /** Share of client operations sent to a random node instead of the leader. */
  readonly misdirect: number;
}

export interface SimBounds {
  readonly proposalsInFlightMax: number;
  readonly readsInFlightMax: number;
  readonly clientTimeoutMs: number;
  readonly messagesInFlightMax: number;
  readonly eventsQueuedMax: number;
  readonly membershipChangesMax: number;
}

export interface SimOptions {
  readonly seed: number;
  readonly nodeCount: number;
  readonly profile: Profile;
  readonly tickMs: number;
  /**
   * Clock drift: each node ticks every tickMs * (1 + u), u fixed per node with tickSkew / 2 <= |u| <= tickSkew.
   * Kept within the core's CLOCK_DRIFT_BOUND when lease reads are on: they rely on it.
   */
  readonly tickSkew: number;
  readonly faultPhaseMs: number;
  readonly livenessBudgetMs: number;
  readonly workloadStepMs: number;
  readonly faultStepMs: number;
  readonly network: NetworkFaults;
  readonly calmNetwork: NetworkFaults;
  readonly diskDelayMaxMs: number;
  readonly compactEveryEntries: number;
  readonly tuning: CoreTuning;
  readonly faults: FaultRates;
  readonly workload: WorkloadRates;
  readonly bounds: SimBounds;
  /** The workload pauses for idleForMs out of every idleEveryMs, so idle groups can quiesce. */
  readonly idleEveryMs: number;
  readonly idleForMs: number;
}

const NEVER = Number.MAX_SAFE_INTEGER;

const BOUNDS: SimBounds = {
  proposalsInFlightMax: 32,
  readsInFlightMax: 16,
  clientTimeoutMs: 600,
  messagesInFlightMax: 4_000,
  eventsQueuedMax: 20_000,
  membershipChangesMax: 6,
};

function drawTuning(rng: Rng, profile: Profile): Omit<CoreTuning, 'quiesce'> {
  const electionTicks = pick(rng, [6, 10, 16]);
  const checkQuorum = pick(rng, [true, true, false]);
  return {
    electionTicks,
    heartbeatTicks: pick(rng, [1, 1, 2]),
    preVote: pick(rng, [true, true, false]),
    checkQuorum,
    leaseReads: checkQuorum && pick(rng, [false, true]),
    inflightMessagesMax: profile === 'figure8' ? pick(rng, [1, 2]) : pick(rng, [1, 4, 256]),
    appendBytesMax: profile === 'figure8' ? 1 : pick(rng, [1, 64, 512, 1 << 20]),
    snapshotChunkBytesMax: pick(rng, [16, 64, 64, 4096]),
    uncommittedBytesMax: pick(rng, [400, 1 << 26, 1 << 26]),
    pendingReadsMax: pick(rng, [2, 100]),
  };
}

function drawFaults(rng: Rng, profile: Profile, nodeCount: number): FaultRates {
  const minority = Math.floor((nodeCount - 1) / 2);
  if (profile === 'figure8') {
    return {
      crash: pick(rng, [0, 0.02]),
      downtimeMaxMs: pick(rng, [300, 800]),
      nodesDownMax: minority,
      pause: 0.02,
      pauseMaxMs: 300,
      pauseDropsTicks: false,
      partition: pick(rng, [0, 0.02]),
      partitionMaxMs: 600,
      clog: 0,
      isolateLeader: 0.03,
      isolateNewLeader: pick(rng, [0.6, 0.9]),
      crashNewLeader: pick(rng, [0.1, 0.3]),
    };
  }
  return {
    crash: pick(rng, [0, 0, 0.02, 0.06]),
    downtimeMaxMs: pick(rng, [200, 1_000, 3_000]),
    nodesDownMax: pick(rng, [minority, minority, nodeCount]),
    pause: pick(rng, [0, 0.02, 0.05]),
    pauseMaxMs: pick(rng, [100, 1_000]),
    pauseDropsTicks: false,
    partition: pick(rng, [0, 0.02, 0.08]),
    partitionMaxMs: pick(rng, [300, 1_500]),
    clog: pick(rng, [0, 0, 0.03]),
    isolateLeader: pick(rng, [0, 0.02, 0.06]),
    isolateNewLeader: pick(rng, [0, 0, 0, 0.3]),
    crashNewLeader: pick(rng, [0, 0, 0, 0.1]),
  };
}

function drawWorkload(rng: Rng, profile: Profile): WorkloadRates {
  return {
    propose: pick(rng, [0.1, 0.3, 0.6]),
    read: pick(rng, [0.05, 0.2, 0.5]),
    transfer: profile === 'figure8' ? 0 : pick(rng, [0, 0.002, 0.01]),
    membership: profile === 'figure8' ? 0 : pick(rng, [0, 0.01, 0.05]),
    misdirect: pick(rng, [0.05, 0.3]),
  };
}

function drawNetwork(rng: Rng, profile: Profile): NetworkFaults {
  return {
    dropRate: profile === 'figure8' ? pick(rng, [0, 0.01]) : pick(rng, [0, 0, 0.01, 0.05, 0.2]),
    duplicateRate: pick(rng, [0, 0, 0.02, 0.1]),
    latencyMinMs: pick(rng, [0, 1]),
    latencyMaxMs: pick(rng, [3, 10, 30]),
  };
}

/** Draws in a fixed order; add new knobs at the end so that existing seeds keep their options. */
export function drawOptions(rng: Rng, seed: number, nodeCount: number, profile: Profile): SimOptions {
  const tuning = drawTuning(rng, profile);
  const options = {
    seed,
    nodeCount,
    profile,
    tickMs: 10,
    tickSkew: tuning.leaseReads ? pick(rng, [0, 0.02, 0.047]) : pick(rng, [0, 0, 0.1, 0.3]),
    faultPhaseMs: profile === 'figure8' ? 4_000 : 3_000,
    livenessBudgetMs: 10_000,
    workloadStepMs: 5,
    faultStepMs: 50,
    network: drawNetwork(rng, profile),
    calmNetwork: { dropRate: 0, duplicateRate: 0, latencyMinMs: 1, latencyMaxMs: 5 },
    diskDelayMaxMs: pick(rng, [0, 2, 8, 25]),
    compactEveryEntries: pick(rng, [4, 16, 64, NEVER]),
    tuning,
    faults: drawFaults(rng, profile, nodeCount),
    workload: drawWorkload(rng, profile),
    bounds: BOUNDS,
  };
  // Drawn last so that seeds from before quiescence keep their other options.
  const quiesce = pick(rng, [false, true]);
  const idleForMs = quiesce ? pick(rng, [0, 250, 400]) : 0;
  return { ...options, tuning: { ...tuning, quiesce }, idleEveryMs: 600, idleForMs };
}
