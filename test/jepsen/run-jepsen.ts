// One Jepsen-style run, end to end: start a cluster of real `raftkv serve` processes (each in its
// own network namespace, or behind proxies without root), run the selected workloads while the
// nemesis carries out a seeded schedule, heal everything, demand that a write succeeds within a
// bound (liveness), run the workloads through the quiet period, take final reads, check, and
// write the run directory. Always tears the cluster and the network down. Used by run.ts (the
// command line) and by jepsen.test.ts.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nodeId, type NodeId } from '../../src/shared/ids.js';
import { SeededRng } from '../../src/shared/rng.js';
import { bytes } from '../support/kv-wire.js';
import { HistoryRecorder, nowNs } from '../support/history-recorder.js';
import { sleep } from '../support/poll.js';
import { clusterHooks } from './harness/hooks.js';
import { JepsenCluster } from './harness/jepsen-cluster.js';
import { reconcile } from './harness/membership.js';
import { chooseMode, startNetBackend } from './harness/network.js';
import { NemesisRunner } from './nemesis/runner.js';
import { generateSchedule, type NemesisSchedule } from './nemesis/schedule.js';
import { availability, faultWindows } from './report/availability.js';
import { checkLinearizability } from './report/checks.js';
import { writeRunFiles } from './report/output.js';
import { buildResults, summaryText, violations, type Recovery, type RunFacts } from './report/results.js';
import type { RunOptions } from './run-options.js';
import { BankWorkload } from './workloads/bank.js';
import { Router, type OpRecord, type WorkloadContext } from './workloads/context.js';
import { recordFinalReads, registerDefaults, registerPrefix, RegisterWorkload } from './workloads/register.js';
import { SetWorkload } from './workloads/set.js';

export interface RunOutcome {
  readonly runDir: string;
  readonly results: Record<string, unknown>;
  readonly violations: readonly string[];
  readonly summary: string;
  /** 0 pass, 1 violation, 3 linearizability unknown (search budget). */
  readonly exitCode: number;
}

const leaderWaitMs = 30_000;

interface Workloads {
  readonly register?: RegisterWorkload;
  readonly set?: SetWorkload;
  readonly bank?: BankWorkload;
}

function makeWorkloads(ctx: WorkloadContext, options: RunOptions): Workloads {
  const has = (name: string): boolean => options.workloads.some((w) => w === name);
  return {
    ...(has('register') ? { register: new RegisterWorkload(ctx, { workers: options.concurrency, ...registerDefaults }) } : {}),
    ...(has('set') ? { set: new SetWorkload(ctx, options.concurrency) } : {}),
    ...(has('bank') ? { bank: new BankWorkload(ctx, options.concurrency) } : {}),
  };
}

/** Retries `fn` (final reads after the heal) a few times; the cluster may still be settling. */
async function settled<T>(what: string, fn: () => Promise<T>): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw new Error(`Cannot ${what} after the heal: ${String(lastError)}`);
}

/** Liveness: from the heal, some node must acknowledge a write within the bound. */
async function recoveryProbe(cluster: JepsenCluster, healNs: number, boundMs: number): Promise<Recovery> {
  let lastError: unknown = 'no leader';
  let i = 0;
  while ((nowNs() - healNs) / 1e6 < boundMs) {
    const leader = await cluster.leaderOf();
    if (leader !== undefined) {
      try {
        await cluster.kvStub(leader).call('Put', { key: bytes('probe/recovery'), value: bytes(String(i++)) }, { deadlineMs: 1_000 });
        return { ok: true, ms: Math.round((nowNs() - healNs) / 1e6) };
      } catch (error) {
        lastError = error;
      }
    }
    await sleep(100);
  }
  return { ok: false, ms: null, error: String(lastError) };
}

interface Phase {
  readonly nemesisErrors: string[];
  readonly reconcileFixes: string[];
  readonly recovery: Recovery;
}

/** Workloads and nemesis together, then heal, reconcile, recovery, and the rest of the quiet period. */
async function faultPhase(cluster: JepsenCluster, runner: NemesisRunner, schedule: NemesisSchedule, recoveryBoundMs: number, run: Promise<void>, stop: () => void): Promise<Phase> {
  const startNs = nowNs();
  const nemesisErrors: string[] = [];
  await runner.run(schedule).catch((error: unknown) => {
    const errors = error instanceof AggregateError ? error.errors : [error];
    nemesisErrors.push(...errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))));
  });
  const healNs = nowNs();
  // Repair and probe together: liveness is measured from the heal, not from the end of the repair.
  const [fixes, recovery] = await Promise.all([
    reconcile(cluster).then((done) => ({ done }), (error: unknown) => ({ error: String(error) })),
    recoveryProbe(cluster, healNs, recoveryBoundMs),
  ]);
  const reconcileFixes = 'done' in fixes ? fixes.done : [`FAILED: ${fixes.error}`];
  await sleep(schedule.runMs - (nowNs() - startNs) / 1e6);
  stop();
  await run;
  return { nemesisErrors, reconcileFixes, recovery };
}

async function finalReads(cluster: JepsenCluster, ctx: WorkloadContext, workloads: Workloads): Promise<Pick<RunFacts, 'set' | 'bank'>> {
  const leader = (): Promise<NodeId> => cluster.waitForLeader(leaderWaitMs);
  const { register, set, bank } = workloads;
  if (register !== undefined) await settled('read the registers', async () => recordFinalReads(ctx, await leader(), registerPrefix, register.keysUsed));
  const setResult = set === undefined ? undefined : await settled('read the set', async () => set.finalCheck(await leader()));
  const bankResult = bank === undefined ? undefined : bank.check(await settled('read the bank', async () => bank.balances(await leader(), false, 5_000)));
  return { ...(setResult === undefined ? {} : { set: setResult }), ...(bankResult === undefined ? {} : { bank: bankResult }) };
}

async function execute(cluster: JepsenCluster, options: RunOptions, runDir: string, mode: string): Promise<RunOutcome> {
  const startedAt = new Date().toISOString();
  const t0 = nowNs();
  const rng = new SeededRng(options.seed);
  const clientRng = rng.fork();
  let stopped = false;
  const ops: OpRecord[] = [];
  const ctx: WorkloadContext = {
    cluster, recorder: new HistoryRecorder(), router: new Router(cluster.nodes, clientRng.fork(), options.followerReads), rng: clientRng,
    opTimeoutMs: options.opTimeoutMs, leaseReads: options.leaseReads, ops, stopped: () => stopped,
  };
  const workloads = makeWorkloads(ctx, options);
  await workloads.bank?.setup();
  const schedule = generateSchedule({ seed: options.seed, nemeses: options.nemeses, runMs: options.timeS * 1000, nodes: cluster.nodes, endQuietMs: options.quietS * 1000 });
  const runner = new NemesisRunner({ nodes: cluster.nodes, hooks: clusterHooks(cluster), rng: rng.fork() });
  const run = Promise.all([workloads.register?.run(), workloads.set?.run(), workloads.bank?.run()]).then(() => undefined);
  const phase = await faultPhase(cluster, runner, schedule, options.recoveryBoundS * 1000, run, () => (stopped = true));
  const finals = await finalReads(cluster, ctx, workloads);
  const facts: RunFacts = {
    options, mode, startedAt, durationS: (nowNs() - t0) / 1e9, ops, ...finals, ...phase,
    linearizability: checkLinearizability(ctx.recorder.jsonl(), runDir),
    availability: availability(ops, faultWindows(runner.log, nowNs())), nemesisLog: runner.log,
  };
  const results = buildResults(facts);
  writeRunFiles(runDir, {
    history: ctx.recorder.jsonl(), ...(workloads.bank === undefined ? {} : { bank: workloads.bank.jsonl() }),
    schedule, nemesisLog: runner.log, netLog: cluster.net.faultLog(), results,
  });
  const found = violations(facts);
  const exitCode = found.length > 0 ? 1 : facts.linearizability.valid === 'unknown' ? 3 : 0;
  return { runDir, results, violations: found, summary: summaryText(facts, runDir), exitCode };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Runs one fault test. Throws on harness errors (the cluster could not start, ...). */
export async function runJepsen(options: RunOptions, warn: (text: string) => void = console.warn): Promise<RunOutcome> {
  const runDir = resolve(join(options.outDir, `${timestamp()}-${options.seed}`));
  mkdirSync(runDir, { recursive: true });
  const mode = chooseMode(options.net, warn);
  const nodes = Array.from({ length: options.nodes }, (_, i) => nodeId(i + 1));
  const net = await startNetBackend(mode, nodes);
  const cluster = new JepsenCluster({
    nodes, runDir, tickMs: options.tickMs, electionTicks: options.electionTicks, snapshotEntries: options.snapshotEntries,
    leaseReads: options.leaseReads, ...(options.serverEntry === undefined ? {} : { serverEntry: options.serverEntry }),
  }, net);
  let outcome: RunOutcome | undefined;
  try {
    await cluster.startAll();
    await cluster.waitForLeader(leaderWaitMs);
    outcome = await execute(cluster, options, runDir, mode);
    return outcome;
  } finally {
    await cluster.stopAll();
    await net.teardown();
    // Data dirs are large and only useful to debug a failure; logs are always kept.
    if (outcome?.exitCode === 0) rmSync(join(runDir, 'data'), { recursive: true, force: true });
  }
}
