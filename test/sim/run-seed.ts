/**
 * Goal: run one seed end to end and describe a failure so it can be replayed. Method: the seed
 * makes the root Rng; the first fork draws the run's options (swarm), the rest drive the cluster.
 */
import { SeededRng } from '../../src/shared/rng.js';
import { Cluster, type RunReport } from './cluster.js';
import { MUTATIONS, type MutationName } from './mutations.js';
import { drawOptions, type Profile, type SimOptions } from './swarm.js';

export interface SeedParams {
  readonly seed: number;
  readonly nodeCount: number;
  readonly profile: Profile;
  readonly mutation: MutationName;
  /**
   * Forces lease reads on with this clock drift (see SimOptions.tickSkew), beyond what the swarm
   * draws: proof that the read checker catches leases once their clock assumption is broken.
   */
  readonly leaseDrift?: number;
  /** Models a runtime that loses the ticks of a pause (see Cluster.deferIfPaused). */
  readonly pauseDropsTicks?: boolean;
  readonly print?: (line: string) => void;
}

export interface SeedResult extends RunReport {
  readonly params: SeedParams;
  readonly options: SimOptions;
}

export function runSeed(params: SeedParams): SeedResult {
  const rng = new SeededRng(params.seed);
  const drawn = drawOptions(rng.fork(), params.seed, params.nodeCount, params.profile);
  const leased = params.leaseDrift === undefined ? drawn : withLeaseDrift(drawn, params.leaseDrift);
  const options = params.pauseDropsTicks === true ? { ...leased, faults: { ...leased.faults, pauseDropsTicks: true } } : leased;
  const cluster = new Cluster({ options, rng, createNode: MUTATIONS[params.mutation], print: params.print });
  return { params, options, ...cluster.run() };
}

function withLeaseDrift(options: SimOptions, drift: number): SimOptions {
  const tuning = { ...options.tuning, checkQuorum: true, leaseReads: true };
  const workload = { ...options.workload, read: 0.5, misdirect: 0.4 };
  const faults = { ...options.faults, isolateLeader: 0.1, partitionMaxMs: 1_000 };
  return { ...options, tickSkew: drift, tuning, workload, faults };
}

export function replayCommand(params: SeedParams): string {
  const flags = [`--seed ${params.seed}`, `--nodes ${params.nodeCount}`];
  if (params.profile !== 'swarm') flags.push(`--profile ${params.profile}`);
  if (params.mutation !== 'none') flags.push(`--mutation ${params.mutation}`);
  if (params.leaseDrift !== undefined) flags.push(`--lease-drift ${params.leaseDrift}`);
  if (params.pauseDropsTicks === true) flags.push('--pause-drops-ticks');
  return `npm run test:sim -- ${flags.join(' ')}`;
}

/** Violation, replay command and the trace tail; empty for a passing seed. */
export function describeFailure(result: SeedResult, traceLines: number): string {
  const violation = result.violation;
  if (violation === null) return '';
  return [
    `seed ${result.params.seed} (${result.params.nodeCount} nodes, ${result.params.profile}): [${violation.checker}] ${violation.message} at ${violation.atMs.toFixed(1)}ms`,
    `replay: ${replayCommand(result.params)}`,
    ...result.trace.slice(-traceLines).map((line) => `  ${line}`),
  ].join('\n');
}
