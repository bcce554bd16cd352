// One Jepsen-style run, end to end: start a cluster of real `raftkv serve` processes (each in its
// own network namespace, or behind proxies without root), run the selected workloads while the
// nemesis carries out a seeded schedule, heal everything, demand that a write succeeds within a
// bound (liveness), run the workloads through the quiet period, take final reads, check, and
// write the run directory. With --groups N the cluster is sharded: clients route each key by the
// shard map (workloads/shard-router.ts) and the nemesis gains the shard faults
// (harness/shard-faults.ts). Always tears the cluster and the network down. Used by run.ts (the
// command line) and by jepsen.test.ts.
import * as grpc from '@grpc/grpc-js';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nodeId, type NodeId } from '../../src/shared/ids.js';
import { SeededRng } from '../../src/shared/rng.js';
import { bytes, LINEARIZABLE, scan } from '../support/kv-wire.js';
import { HistoryRecorder, nowNs } from '../support/history-recorder.js';
import { sleep } from '../support/poll.js';
import { clusterHooks } from './harness/hooks.js';
import { Forgery } from './nemesis/forge.js';
import { JepsenCluster } from './harness/jepsen-cluster.js';
import { reconcile } from './harness/membership.js';
import { ShardFaults } from './harness/shard-faults.js';
import { chooseMode, startNetBackend } from './harness/network.js';
import { NemesisRunner } from './nemesis/runner.js';
import { generateSchedule, type NemesisSchedule } from './nemesis/schedule.js';
import { availability, faultWindows } from './report/availability.js';
import { checkLinearizability } from './report/checks.js';
import { shardReport } from './report/shard-report.js';
import { writeRunFiles } from './report/output.js';
import { buildResults, summaryText, violations, type Recovery, type RunFacts } from './report/results.js';
import { shapeOf, type RunOptions } from './run-options.js';
import { BankWorkload } from './workloads/bank.js';
import { RoutedFailure, Router, type OpRecord, type PrefixScan, type Routing, type WorkloadContext } from './workloads/context.js';
import { recordFinalReads, registerDefaults, registerPrefix, RegisterWorkload } from './workloads/register.js';
import { SetWorkload } from './workloads/set.js';
import { ShardRouter } from './workloads/shard-router.js';

export interface RunOutcome {
  readonly runDir: string;
  readonly results: Record<string, unknown>;
  readonly violations: readonly string[];
  readonly summary: string;
  /** 0 pass, 1 violation, 3 linearizability unknown (search budget). */
  readonly exitCode: number;
}

const leaderWaitMs = 30_000;
const finalScanDeadlineMs = 10_000;

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

/**
 * Liveness: from the heal, some node must acknowledge a write within the bound. On a sharded
 * cluster the probe key is routed like any client write (its group's leader, hints followed).
 */
async function recoveryProbe(cluster: JepsenCluster, shardRouter: ShardRouter | undefined, healNs: number, boundMs: number): Promise<Recovery> {
  let lastError: unknown = 'no leader';
  let i = 0;
  const put = (node: NodeId, deadlineMs: number): Promise<unknown> =>
    cluster.kvStub(node).call('Put', { key: bytes('probe/recovery'), value: bytes(String(i++)) }, { deadlineMs });
  while ((nowNs() - healNs) / 1e6 < boundMs) {
    const leader = shardRouter === undefined ? await cluster.leaderOf() : undefined;
    if (shardRouter !== undefined || leader !== undefined) {
      try {
        if (shardRouter !== undefined) await shardRouter.send('probe/recovery', false, 1_000, put);
        else if (leader !== undefined) await put(leader, 1_000);
        return { ok: true, ms: Math.round((nowNs() - healNs) / 1e6) };
      } catch (error) {
        lastError = error instanceof RoutedFailure ? error.error : error;
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
async function faultPhase(cluster: JepsenCluster, shardRouter: ShardRouter | undefined, runner: NemesisRunner, schedule: NemesisSchedule,
  recoveryBoundMs: number, run: Promise<void>, stop: () => void): Promise<Phase> {
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
    recoveryProbe(cluster, shardRouter, healNs, recoveryBoundMs),
  ]);
  const reconcileFixes = 'done' in fixes ? fixes.done : [`FAILED: ${fixes.error}`];
  await sleep(schedule.runMs - (nowNs() - startNs) / 1e6);
  stop();
  await run;
  return { nemesisErrors, reconcileFixes, recovery };
}

/**
 * The final reads after the heal. A read that still fails after the retries of settled() is a
 * finding about the cluster (keys it can no longer serve), not a harness error: it is reported as a
 * violation and the run directory is written as usual, with that check left without a verdict.
 */
async function finalReads(cluster: JepsenCluster, shardRouter: ShardRouter | undefined, ctx: WorkloadContext, workloads: Workloads): Promise<Pick<RunFacts, 'set' | 'bank' | 'finalReadErrors'>> {
  const leader = (): Promise<NodeId> => cluster.waitForLeader(leaderWaitMs);
  const scanPrefix: PrefixScan = shardRouter === undefined
    ? async (prefix) => scan(cluster.kvStub(await leader()), prefix, LINEARIZABLE, finalScanDeadlineMs)
    : (prefix) => shardRouter.scanPrefix(prefix, finalScanDeadlineMs);
  const { register, set, bank } = workloads;
  const errors: string[] = [];
  const attempt = <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => settled(what, fn).catch((error: unknown) => {
    errors.push(error instanceof Error ? error.message : String(error));
    return undefined;
  });
  if (register !== undefined) await attempt('read the registers', () => recordFinalReads(ctx, scanPrefix, registerPrefix, register.keysUsed));
  const setResult = set === undefined ? undefined : await attempt('read the set', () => set.finalCheck(scanPrefix));
  const bankRead = async (): Promise<number[]> => (shardRouter === undefined ? bank?.balances(await leader(), false, 5_000) : bank?.routedBalances(5_000)) ?? [];
  const balances = bank === undefined ? undefined : await attempt('read the bank', bankRead);
  const bankResult = balances === undefined ? undefined : bank?.check(balances);
  return { ...(setResult === undefined ? {} : { set: setResult }), ...(bankResult === undefined ? {} : { bank: bankResult }), finalReadErrors: errors };
}

async function execute(cluster: JepsenCluster, options: RunOptions, runDir: string, mode: string): Promise<RunOutcome> {
  const startedAt = new Date().toISOString();
  const t0 = nowNs();
  const rng = new SeededRng(options.seed);
  const clientRng = rng.fork();
  let stopped = false;
  const ops: OpRecord[] = [];
  const routerRng = clientRng.fork();
  const shardRouter = cluster.isSharded ? new ShardRouter(cluster, routerRng, options.followerReads) : undefined;
  const router: Routing = shardRouter ?? new Router(cluster.nodes, routerRng, options.followerReads);
  const ctx: WorkloadContext = {
    cluster, recorder: new HistoryRecorder(), router, rng: clientRng,
    opTimeoutMs: options.opTimeoutMs, leaseReads: options.leaseReads, ops, stopped: () => stopped,
    ...(shardRouter === undefined ? {} : { shards: shardRouter }),
  };
  await shardRouter?.map();
  const workloads = makeWorkloads(ctx, options);
  await workloads.bank?.setup();
  const schedule = generateSchedule({
    seed: options.seed, nemeses: options.nemeses, runMs: options.timeS * 1000, nodes: cluster.nodes, endQuietMs: options.quietS * 1000, shape: shapeOf(options),
  });
  const nemesisRng = rng.fork();
  const shardFaults = cluster.isSharded ? new ShardFaults(cluster, nemesisRng.fork()) : undefined;
  const forgery = new Forgery((node) => cluster.net.peerAddress(nodeId(node)), (member) => cluster.peerCredentials(nodeId(member)) ?? grpc.credentials.createInsecure());
  const runner = new NemesisRunner({ nodes: cluster.nodes, hooks: clusterHooks(cluster, shardFaults, forgery), rng: nemesisRng });
  const run = Promise.all([workloads.register?.run(), workloads.set?.run(), workloads.bank?.run()]).then(() => undefined);
  const phase = await faultPhase(cluster, shardRouter, runner, schedule, options.recoveryBoundS * 1000, run, () => (stopped = true))
    .finally(() => forgery.close());
  const finals = await finalReads(cluster, shardRouter, ctx, workloads);
  const shards = shardRouter === undefined ? undefined
    : await shardReport(cluster, shardRouter.refreshCount).catch((error: unknown) => ({ error: String(error) }));
  const facts: RunFacts = {
    options, mode, startedAt, durationS: (nowNs() - t0) / 1e9, ops, ...finals, ...phase, ...(shards === undefined ? {} : { shards }),
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
  const forged = forgery.summary();
  return { runDir, results, violations: found, summary: summaryText(facts, runDir) + (forged === '' ? '' : `\nforge: ${forged}`), exitCode };
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
    leaseReads: options.leaseReads, groups: options.groups, replicas: options.replicas, ...(options.serverEntry === undefined ? {} : { serverEntry: options.serverEntry }),
    secure: options.secure,
  }, net);
  let outcome: RunOutcome | undefined;
  try {
    await cluster.startAll();
    await cluster.waitForLeader(leaderWaitMs);
    await cluster.enableAuth(leaderWaitMs);
    outcome = await execute(cluster, options, runDir, mode);
    return outcome;
  } finally {
    await cluster.stopAll();
    await net.teardown();
    // Data dirs are large and only useful to debug a failure; logs are always kept.
    if (outcome?.exitCode === 0) rmSync(join(runDir, 'data'), { recursive: true, force: true });
  }
}
