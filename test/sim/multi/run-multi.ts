/**
 * Goal: run one multi-group seed end to end and describe a failure so it can be replayed. Method:
 * the seed makes the root Rng; the first fork draws the options, the rest drive the cluster.
 */
import { SeededRng } from '../../../src/shared/rng.js';
import { RaftNode, realNode, type NodeFactory } from '../core.js';
import { MultiCluster } from './multi-cluster.js';
import type { MultiReport } from './multi-setup.js';
import { drawMultiOptions, NO_MULTI_FAULTS, type MultiFaults, type MultiOptions } from './multi-options.js';

/** Undoes FINDINGS.md M5's fix (src/raft/node.ts isPromotable): below its vote floor a replica campaigns and votes for itself. */
class FloorAllowsCampaign extends RaftNode {
  override isPromotable(): boolean {
    return this.conf.voters.includes(this.id);
  }
}
const floorAllowsCampaign: NodeFactory = (config) => new FloorAllowsCampaign(config);

/** 'none' is the server as src/ has it; the gc-* entries are variants and mutations of its GC. */
export const MULTI_MUTATIONS = {
  none: NO_MULTI_FAULTS,
  'split-parent-keeps-range': { ...NO_MULTI_FAULTS, parentKeepsRange: true },
  // A replica id per incarnation on top of the server's rule: a deleted replica's late messages
  // are dropped (FINDINGS.md M4.2).
  'gc-incarnations': { ...NO_MULTI_FAULTS, replicaIncarnations: true },
  // Mutation undoing FINDINGS.md M5's fix: a replica below its vote floor campaigns anyway.
  'gc-floor-allows-campaign': { ...NO_MULTI_FAULTS, floorAllowsCampaign: true },
  // The server's rule before commit 5e83e4b (FINDINGS.md M3, M4): empty answers trusted, no vote
  // floor, a split founds the child over a tombstone.
  'gc-old-server': { ...NO_MULTI_FAULTS, gcRule: 'trusts-empty', voteFloor: false, splitFoundsOverTombstone: true },
  // Mutations of the server's rule, one clause undone each.
  'gc-trusts-empty': { ...NO_MULTI_FAULTS, gcRule: 'trusts-empty' },
  'gc-no-vote-floor': { ...NO_MULTI_FAULTS, voteFloor: false },
  'gc-split-over-tombstone': { ...NO_MULTI_FAULTS, splitFoundsOverTombstone: true },
  'gc-ignores-applied': { ...NO_MULTI_FAULTS, gcRule: 'ignores-applied' },
  'gc-as-stated': { ...NO_MULTI_FAULTS, gcRule: 'as-stated' },
  'gc-no-tombstone': { ...NO_MULTI_FAULTS, tombstones: 'none' },
  // The simulator's earlier, stricter model (FINDINGS.md M1, M2): a proof from anywhere that
  // applied the removal, and tombstones that never let the node back. Variants to compare.
  'gc-removal-proof': { ...NO_MULTI_FAULTS, gcRule: 'removal-proof' },
  'gc-tombstone-forever': { ...NO_MULTI_FAULTS, tombstones: 'forever' },
} as const satisfies Record<string, MultiFaults>;

export type MultiMutation = keyof typeof MULTI_MUTATIONS;

export function isMultiMutation(name: string): name is MultiMutation {
  return Object.hasOwn(MULTI_MUTATIONS, name);
}

export interface MultiSeedParams {
  readonly seed: number;
  readonly nodeCount: number;
  readonly mutation: MultiMutation;
  /** Ownership checks off, so only linearizability (and the per-group checkers) can catch a bug. */
  readonly historyOnly?: boolean;
  /** Overrides the drawn liveness budget (a pinned liveness failure need not wait the full 15 s). */
  readonly livenessBudgetMs?: number;
  readonly print?: (line: string) => void;
}

export interface MultiSeedResult extends MultiReport {
  readonly params: MultiSeedParams;
  readonly options: MultiOptions;
}

export function runMultiSeed(params: MultiSeedParams): MultiSeedResult {
  const rng = new SeededRng(params.seed);
  const drawn = drawMultiOptions(rng.fork(), params.seed, params.nodeCount);
  const options = params.livenessBudgetMs === undefined ? drawn : { ...drawn, sim: { ...drawn.sim, livenessBudgetMs: params.livenessBudgetMs } };
  const faults = MULTI_MUTATIONS[params.mutation];
  const cluster = new MultiCluster({ options, rng, createNode: faults.floorAllowsCampaign ? floorAllowsCampaign : realNode, faults, historyOnly: params.historyOnly === true, print: params.print });
  return { params, options, ...cluster.run() };
}

export function multiReplayCommand(params: MultiSeedParams): string {
  const mutation = params.mutation === 'none' ? '' : ` --mutation ${params.mutation}`;
  const historyOnly = params.historyOnly === true ? ' --history-only' : '';
  return `npx tsx test/sim/multi/cli.ts --seed ${params.seed} --nodes ${params.nodeCount}${mutation}${historyOnly}`;
}

export function describeMultiFailure(result: MultiSeedResult, traceLines: number): string {
  const violation = result.violation;
  if (violation === null) return '';
  return [
    `seed ${result.params.seed} (${result.params.nodeCount} nodes, ${result.options.groupCount} groups): [${violation.checker}] ${violation.message} at ${violation.atMs.toFixed(1)}ms`,
    `replay: ${multiReplayCommand(result.params)}`,
    ...result.trace.slice(-traceLines).map((line) => `  ${line}`),
  ].join('\n');
}
