/**
 * Runs one scenario on one target: a fresh cluster, preload if the workload reads, generator
 * processes started and given a common start time t0, server CPU sampled, the fault (if any)
 * injected at t0 + fault-at and healed fault-seconds later, then everything merged and analyzed.
 * A failure of one run is returned as a ScenarioFailure so the rest of the plan still runs.
 */
import { join } from 'node:path';
import { faultDescriptions, injectFault, type FaultName } from '../faults/faults.js';
import { GeneratorPool, type WorkerResult } from '../load/generator-pool.js';
import { epochNowMs, sleep } from '../load/loops.js';
import { readsNeedPreload } from '../load/workload.js';
import type { FaultTiming } from '../measure/fault-figures.js';
import { ProcSampler, type MachineSample, type ProcSample } from '../measure/proc-sampler.js';
import type { Progress } from '../cli/progress.js';
import type { RunOptions } from '../cli/options.js';
import type { BenchNetwork } from '../targets/network.js';
import type { TargetDefinition } from '../targets/target.js';
import { analyze } from './analyze.js';
import type { Scenario } from './catalog.js';
import { preload, startCluster, type ClusterSession } from './cluster-session.js';
import { runLabel, type Step } from './plan.js';
import type { ScenarioOutcome } from './result.js';
import { workerSpecs, type Window } from './worker-specs.js';

export interface RunnerContext {
  readonly options: RunOptions;
  readonly network: BenchNetwork;
  readonly progress: Progress;
  readonly outDir: string;
}

/** Seconds of load (warm-up included) and of warm-up for a scenario. */
export function scenarioSeconds(scenario: Scenario, options: RunOptions): { total: number; warmup: number } {
  if (scenario.fault === undefined) return { total: scenario.warmupSeconds + scenario.seconds, warmup: scenario.warmupSeconds };
  return { total: options.faultAtSeconds + options.faultSeconds + options.afterHealSeconds, warmup: Math.min(scenario.warmupSeconds, options.faultAtSeconds) };
}

export async function runScenario(step: Step, target: TargetDefinition, offeredRate: number | null, context: RunnerContext): Promise<ScenarioOutcome> {
  try {
    return await runOnce(step, target, offeredRate, context);
  } catch (error) {
    return { ok: false, scenario: step.scenario, target: target.name, round: step.round, error: error instanceof Error ? error.message : String(error) };
  } finally {
    await context.network.faults?.heal().catch(() => undefined);
  }
}

async function runOnce(step: Step, target: TargetDefinition, offeredRate: number | null, context: RunnerContext): Promise<ScenarioOutcome> {
  const { progress, outDir, options } = context;
  const { scenario, round } = step;
  const suffix = round === 1 ? '' : `-r${round}`;
  const logDir = join(outDir, 'logs', `${scenario.name}-${target.name}${suffix}`);
  const cpuProfileDir = options.cpuProfile && target.name === 'raftkv' ? join(outDir, 'profiles', `${scenario.name}${suffix}`) : undefined;
  progress.phase(`starting ${scenario.nodes} ${target.name} servers`);
  const session = await startCluster({
    target, network: context.network, nodes: scenario.nodes, logDir,
    ...(cpuProfileDir === undefined ? {} : { cpuProfileDir }), ...(options.dataRoot === undefined ? {} : { dataRoot: options.dataRoot }),
  });
  if (session.settleNote !== undefined) progress.note(`  ! ${runLabel(scenario.name, round)} on ${target.name}: ${session.settleNote}`);
  let pool: GeneratorPool | undefined;
  try {
    if (readsNeedPreload(scenario.workload)) {
      progress.phase(`preloading ${scenario.keys} keys`);
      await preload(session, target, scenario.keys, scenario.valueBytes);
    }
    progress.phase(`starting ${scenario.generators} generator process(es)`);
    pool = await GeneratorPool.start(scenario.generators);
    const measured = await measure(scenario, target, offeredRate, session, pool, context);
    progress.phase('stopping servers');
    await session.stop();
    return analyze({ scenario, target: target.name, round, offeredRate, session, logDir, cpuProfileDir, ...measured });
  } finally {
    pool?.kill();
    await session.stop();
  }
}

interface Measured {
  readonly results: WorkerResult[];
  readonly samples: ReadonlyMap<number, readonly ProcSample[]>;
  readonly machine: readonly MachineSample[];
  readonly window: Window;
  readonly timing: FaultTiming | null;
}

async function measure(scenario: Scenario, target: TargetDefinition, offeredRate: number | null, session: ClusterSession,
  pool: GeneratorPool, context: RunnerContext): Promise<Measured> {
  const seconds = scenarioSeconds(scenario, context.options);
  const t0Ms = epochNowMs() + 500;
  const window: Window = { t0Ms, measureFromMs: t0Ms + seconds.warmup * 1000, measureToMs: t0Ms + seconds.total * 1000 };
  const servers = session.servers;
  const sampler = new ProcSampler(() => new Map(servers.nodes.map((n) => [n, servers.pid(n)])), epochNowMs);
  sampler.start();
  const edges = [window.measureFromMs, window.measureToMs].map((at) => setTimeout(() => sampler.sample(), at - epochNowMs()));
  const fault = scenario.fault === undefined ? Promise.resolve(null) : runFault(scenario.fault, session, window.t0Ms, context);
  context.progress.phase(scenario.fault === undefined ? `warm-up ${seconds.warmup} s, then measuring` : 'load before the fault', seconds.total);
  try {
    const specs = workerSpecs(scenario, target.name, offeredRate, session.endpoints, window, context.options);
    const results = await pool.run(specs, context.progress.onSecond, seconds.total * 1000 + 60_000);
    return { results, samples: sampler.byNode, machine: sampler.machine, window, timing: await fault };
  } finally {
    sampler.stop();
    edges.forEach(clearTimeout);
  }
}

async function runFault(name: FaultName, session: ClusterSession, t0Ms: number, context: RunnerContext): Promise<FaultTiming> {
  const { options, progress } = context;
  await sleep(t0Ms + options.faultAtSeconds * 1000 - epochNowMs());
  const current = [...session.watch.current().values()].find((o) => o.isLeader) ?? session.leader;
  const injectedAtMs = epochNowMs();
  const active = await injectFault(name, { servers: session.servers, network: context.network, leader: current.node });
  progress.phase(`fault ${name} on n${active.affected.join(',n')}`, options.faultSeconds);
  await sleep(injectedAtMs + options.faultSeconds * 1000 - epochNowMs());
  await active.heal();
  const healedAtMs = epochNowMs();
  progress.phase(`healed ${name}, watching recovery`, options.afterHealSeconds);
  return {
    name, description: faultDescriptions[name], affected: active.affected, oldLeader: current.node, oldTerm: current.term,
    injectedAtMs, healedAtMs, afterHealSeconds: options.afterHealSeconds,
  };
}
