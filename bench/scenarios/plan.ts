/**
 * The steps of a run (every scenario on every target, in order), their time estimates for the
 * progress line, and the open-loop rate of a step, which may depend on results measured earlier.
 */
import type { RunOptions } from '../cli/options.js';
import type { StepEstimate } from '../cli/progress.js';
import type { TargetName } from '../client/protocols.js';
import { needsPartitions } from '../faults/faults.js';
import { readsNeedPreload } from '../load/workload.js';
import type { NetMode } from '../targets/network.js';
import type { Scenario } from './catalog.js';
import type { ScenarioOutcome } from './result.js';
import { scenarioSeconds } from './scenario-runner.js';

export interface Step {
  readonly scenario: Scenario;
  readonly target: TargetName;
  /** 1-based round of a --repeat run. */
  readonly round: number;
}

/** Start-up, generator start and shutdown of one step, roughly, on the 2-core machine. */
const stepOverheadSeconds = 8;

/**
 * Rounds outermost, so with --repeat each round sees both targets back to back under the same
 * conditions, and a slow drift of the machine (other jobs, a warming disk) spreads over both.
 */
export function planSteps(options: RunOptions, netMode: NetMode): { steps: Step[]; skipped: string[] } {
  const runnable = options.scenarios.filter((s) => s.fault === undefined || !needsPartitions(s.fault) || netMode === 'netns');
  const skipped = options.scenarios.filter((s) => !runnable.includes(s)).map((s) => `${s.name}: needs network namespaces (root, ip, iptables)`);
  const steps: Step[] = [];
  for (let round = 1; round <= options.repeat; round++) {
    for (const scenario of runnable) for (const target of options.targets) steps.push({ scenario, target, round });
  }
  return { steps, skipped };
}

/** How a run is named in tables and the report: `write-64`, or `write-64 #2` in later rounds. */
export function runLabel(name: string, round: number): string {
  return round === 1 ? name : `${name} #${round}`;
}

export function estimate(step: Step, options: RunOptions): StepEstimate {
  const preload = readsNeedPreload(step.scenario.workload) ? step.scenario.keys / 2000 : 0;
  return { label: `${runLabel(step.scenario.name, step.round)} · ${step.target}`, seconds: stepOverheadSeconds + preload + scenarioSeconds(step.scenario, options).total };
}

function bestClosedWriteRate(outcomes: readonly ScenarioOutcome[], target: TargetName): number | undefined {
  const rates = outcomes.flatMap((o) => (o.ok && o.round === 1 && o.target === target && o.scenario.mode === 'closed' && o.scenario.workload === 'write'
    && o.scenario.fault === undefined ? [o.write.opsPerSec] : []));
  return rates.length === 0 ? undefined : Math.max(...rates);
}

/**
 * The offered rate of an open-loop step: a fixed --rate, or half of etcd's best closed-loop write
 * throughput measured earlier in this run (half of this target's own when etcd was not run), in
 * the first round, so every round of a --repeat run offers the same rate.
 */
export function offeredRate(step: Step, outcomes: readonly ScenarioOutcome[]): number | null {
  const { scenario } = step;
  if (scenario.mode !== 'open') return null;
  if (typeof scenario.rate === 'number') return scenario.rate;
  const best = bestClosedWriteRate(outcomes, 'etcd') ?? bestClosedWriteRate(outcomes, step.target);
  if (best === undefined) throw new Error(`Scenario ${scenario.name} needs --rate, or a closed-loop write scenario earlier in the run`);
  return Math.max(1, Math.round(best / 2));
}
