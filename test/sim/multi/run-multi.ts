/**
 * Goal: run one multi-group seed end to end and describe a failure so it can be replayed. Method:
 * the seed makes the root Rng; the first fork draws the options, the rest drive the cluster.
 */
import { SeededRng } from '../../../src/shared/rng.js';
import { realNode } from '../core.js';
import { MultiCluster } from './multi-cluster.js';
import type { MultiReport } from './multi-setup.js';
import { drawMultiOptions, NO_MULTI_FAULTS, type MultiFaults, type MultiOptions } from './multi-options.js';

/** The server's rule with the fixes FINDINGS.md M3 and M4 propose: the base of the GC mutations. */
const GC_FIXED: MultiFaults = { ...NO_MULTI_FAULTS, gcRule: 'server-initialized', rejoinedVoteFloor: true, replicaIncarnations: true };

/** 'none' is the server as it is; the gc-* entries below it are variants and mutations of its GC. */
export const MULTI_MUTATIONS = {
  none: NO_MULTI_FAULTS,
  'split-parent-keeps-range': { ...NO_MULTI_FAULTS, parentKeepsRange: true },
  // The proposed fixes: empty replicas do not answer the GC's question (M3); a replica created
  // again after GC does not vote below its tombstone's applied index, and a destroyed replica's
  // late messages are dropped (M4).
  'gc-fixed': GC_FIXED,
  'gc-initialized-answer': { ...NO_MULTI_FAULTS, gcRule: 'server-initialized' },
  // Mutations of the fixed rule, one clause undone each.
  'gc-ignores-applied': { ...GC_FIXED, gcRule: 'ignores-applied' },
  'gc-as-stated': { ...GC_FIXED, gcRule: 'as-stated' },
  'gc-no-tombstone': { ...GC_FIXED, tombstones: 'none' },
  // The simulator's earlier, stricter model (FINDINGS.md M1, M2): a proof from anywhere that
  // applied the removal, and tombstones that never let the node back. Variants to compare.
  'gc-removal-proof': { ...GC_FIXED, gcRule: 'removal-proof' },
  'gc-tombstone-forever': { ...GC_FIXED, tombstones: 'forever' },
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
  readonly print?: (line: string) => void;
}

export interface MultiSeedResult extends MultiReport {
  readonly params: MultiSeedParams;
  readonly options: MultiOptions;
}

export function runMultiSeed(params: MultiSeedParams): MultiSeedResult {
  const rng = new SeededRng(params.seed);
  const options = drawMultiOptions(rng.fork(), params.seed, params.nodeCount);
  const cluster = new MultiCluster({ options, rng, createNode: realNode, faults: MULTI_MUTATIONS[params.mutation], historyOnly: params.historyOnly === true, print: params.print });
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
