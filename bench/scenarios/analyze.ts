/** Turns the raw material of one run (recordings, /proc samples, leader polls) into a ScenarioResult. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TargetName } from '../client/protocols.js';
import type { WorkerResult } from '../load/generator-pool.js';
import { epochNowMs } from '../load/loops.js';
import { faultFigures, type FaultTiming } from '../measure/fault-figures.js';
import { mergeRuns } from '../measure/merge.js';
import { machineBusyBetween, type MachineSample, type ProcSample } from '../measure/proc-sampler.js';
import { kindSummary, round, serverUsage, timeline } from '../measure/summary.js';
import { summarizeProfile, type ProfileSummary } from '../tools/cpuprofile-top.js';
import type { Scenario } from './catalog.js';
import type { ClusterSession } from './cluster-session.js';
import type { LeaderEvent, ScenarioResult } from './result.js';
import type { Window } from './worker-specs.js';

export interface AnalyzeInput {
  readonly scenario: Scenario;
  readonly round: number;
  readonly target: TargetName;
  readonly offeredRate: number | null;
  readonly session: ClusterSession;
  readonly logDir: string;
  readonly cpuProfileDir: string | undefined;
  readonly results: readonly WorkerResult[];
  readonly samples: ReadonlyMap<number, readonly ProcSample[]>;
  readonly machine: readonly MachineSample[];
  readonly window: Window;
  readonly timing: FaultTiming | null;
}

/**
 * The leader's CPU profile inside the measured window, summarized; null without profiling. With `--import tsx` a node also
 * profiles its module-loader thread, so of the leader's files the busiest one is the main thread.
 */
function leaderProfile(dir: string | undefined, leader: number, window: Window): ProfileSummary | null {
  if (dir === undefined) return null;
  const nodeDir = join(dir, `n${leader}`);
  let files: string[];
  try {
    files = readdirSync(nodeDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(nodeDir, f));
  } catch {
    return null;
  }
  const busyMs = (p: ProfileSummary): number => p.totalMs * (100 - p.idlePct);
  // performance.now() and V8's profile clock both follow CLOCK_MONOTONIC: one offset converts.
  const offsetUs = Number(process.hrtime.bigint() / 1000n) - epochNowMs() * 1000;
  const samples = { fromUs: window.measureFromMs * 1000 + offsetUs, toUs: window.measureToMs * 1000 + offsetUs };
  return files.map((f) => summarizeProfile(f, 20, samples)).sort((a, b) => busyMs(b) - busyMs(a))[0] ?? null;
}

function leaderEvents(session: ClusterSession, t0Ms: number): LeaderEvent[] {
  return session.watch.observations.map((o) => ({
    atS: round((o.atMs - t0Ms) / 1000, 3), node: o.node, term: o.term,
    state: o.reachable ? (o.isLeader ? 'leader' : 'follower') : 'unreachable',
  }));
}

export function analyze(input: AnalyzeInput): ScenarioResult {
  const { window, session } = input;
  const merged = mergeRuns(input.results.map((r) => r.data));
  const measuredSeconds = (window.measureToMs - window.measureFromMs) / 1000;
  const write = kindSummary(merged.kinds.write, measuredSeconds);
  const read = kindSummary(merged.kinds.read, measuredSeconds);
  const ops = write.ok + read.ok;
  const servers = serverUsage(input.samples, window.measureFromMs, window.measureToMs);
  const serverCpuSeconds = servers.reduce((sum, s) => sum + s.cpuSeconds, 0);
  const generatorCpuSeconds = input.results.reduce((sum, r) => sum + (r.cpu.userUs + r.cpu.systemUs) / 1e6, 0);
  return {
    ok: true, scenario: input.scenario, target: input.target, round: input.round, offeredRate: input.offeredRate,
    measuredSeconds, opsPerSec: round(ops / measuredSeconds, 1), write, read,
    servers, serverCpuSeconds: round(serverCpuSeconds, 3),
    serverCpuUsPerOp: ops === 0 ? null : round((serverCpuSeconds * 1e6) / ops, 1),
    generator: {
      processes: input.results.length, cpuSeconds: round(generatorCpuSeconds, 3),
      cpuPct: round((100 * generatorCpuSeconds) / measuredSeconds, 1),
      cpuUsPerOp: ops === 0 ? null : round((generatorCpuSeconds * 1e6) / ops, 1),
    },
    otherCpuPct: round((100 * (machineBusyBetween(input.machine, window.measureFromMs, window.measureToMs) - serverCpuSeconds - generatorCpuSeconds)) / measuredSeconds, 1),
    timeline: timeline(merged, input.samples),
    leaderAtStart: session.leader.node,
    elections: new Set(session.watch.observations.filter((o) => o.isLeader && o.term > session.leader.term).map((o) => o.term)).size,
    leaderEvents: leaderEvents(session, window.t0Ms),
    fault: input.timing === null ? null : faultFigures(merged, input.timing, session.watch.observations),
    serverFailures: [...session.servers.failures],
    profile: leaderProfile(input.cpuProfileDir, session.leader.node, window),
    logDir: input.logDir,
  };
}
