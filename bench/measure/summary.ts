/**
 * Figures of one scenario run on one target, computed from the merged recordings and the process
 * samples: throughput and latency percentiles inside the measured window, the per-second timeline,
 * and server and generator CPU. All latencies in milliseconds, times in seconds since t0.
 */
import type hdr from 'hdr-histogram-js';
import type { OpKind } from '../load/workload.js';
import type { MergedKind, MergedRun } from './merge.js';
import { cpuSecondsBetween, type ProcSample } from './proc-sampler.js';

type Histogram = ReturnType<typeof hdr.build>;

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

export interface KindSummary {
  readonly ok: number;
  readonly opsPerSec: number;
  readonly latencyMs: LatencySummary | null;
  readonly errors: Record<string, number>;
}

export interface SecondPoint {
  readonly ok: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly errors: Record<string, number>;
}

export interface TimelinePoint {
  readonly second: number;
  readonly write: SecondPoint;
  readonly read: SecondPoint;
  /** All members together, percent of one core. */
  readonly serverCpuPct: number;
  readonly serverRssMb: number;
}

export interface ServerUsage {
  readonly node: number;
  readonly cpuSeconds: number;
  /** Percent of one core over the measured window. */
  readonly cpuPct: number;
  readonly rssMbMax: number;
}

const round = (value: number, digits = 2): number => Math.round(value * 10 ** digits) / 10 ** digits;
const usToMs = (us: number): number => round(us / 1000, 3);

export function latencyOf(hist: Histogram | undefined): LatencySummary | null {
  if (hist === undefined || hist.totalCount === 0) return null;
  return {
    p50: usToMs(hist.getValueAtPercentile(50)), p90: usToMs(hist.getValueAtPercentile(90)),
    p99: usToMs(hist.getValueAtPercentile(99)), p999: usToMs(hist.getValueAtPercentile(99.9)),
    max: usToMs(hist.maxValue), mean: usToMs(hist.mean),
  };
}

export function kindSummary(kind: MergedKind, measuredSeconds: number): KindSummary {
  return {
    ok: kind.okMeasured, opsPerSec: round(kind.okMeasured / measuredSeconds, 1),
    latencyMs: latencyOf(kind.hist), errors: kind.errorsMeasured,
  };
}

function secondPoint(kind: MergedKind, index: number): SecondPoint {
  const second = kind.seconds[index];
  const hist = second?.hist;
  return {
    ok: second?.ok ?? 0,
    p50: hist === undefined ? null : usToMs(hist.getValueAtPercentile(50)),
    p99: hist === undefined ? null : usToMs(hist.getValueAtPercentile(99)),
    errors: second?.errors ?? {},
  };
}

/** Server CPU (percent of one core) and RSS per second since t0, all members summed. */
function serverSeries(samples: ReadonlyMap<number, readonly ProcSample[]>, t0Ms: number, seconds: number): { cpu: number[]; rss: number[] } {
  const cpu = new Array<number>(seconds).fill(0);
  const rss = new Array<number>(seconds).fill(0);
  for (const list of samples.values()) {
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      if (a === undefined || b === undefined || a.pid !== b.pid || b.atMs <= a.atMs) continue;
      const index = Math.floor((b.atMs - t0Ms) / 1000);
      if (index < 0 || index >= seconds) continue;
      cpu[index] = (cpu[index] ?? 0) + round((100 * (b.cpuSeconds - a.cpuSeconds) * 1000) / (b.atMs - a.atMs), 1);
      rss[index] = (rss[index] ?? 0) + b.rssBytes / 1048576;
    }
  }
  return { cpu, rss };
}

export function timeline(run: MergedRun, samples: ReadonlyMap<number, readonly ProcSample[]>): TimelinePoint[] {
  // Whole seconds of offered load; the partial second after it only holds stragglers.
  const seconds = Math.round((run.measureToMs - run.t0Ms) / 1000);
  const series = serverSeries(samples, run.t0Ms, seconds);
  return Array.from({ length: seconds }, (_, i): TimelinePoint => ({
    second: i, write: secondPoint(run.kinds.write, i), read: secondPoint(run.kinds.read, i),
    serverCpuPct: round(series.cpu[i] ?? 0, 1), serverRssMb: round(series.rss[i] ?? 0, 1),
  }));
}

export function serverUsage(samples: ReadonlyMap<number, readonly ProcSample[]>, fromMs: number, toMs: number): ServerUsage[] {
  return [...samples].map(([node, list]) => {
    const cpuSeconds = cpuSecondsBetween(list, fromMs, toMs);
    const rss = list.filter((s) => s.atMs >= fromMs && s.atMs <= toMs).map((s) => s.rssBytes);
    return { node, cpuSeconds: round(cpuSeconds, 3), cpuPct: round((100 * cpuSeconds * 1000) / (toMs - fromMs), 1), rssMbMax: round(Math.max(0, ...rss) / 1048576, 1) };
  }).sort((a, b) => a.node - b.node);
}

export const opKinds: readonly OpKind[] = ['write', 'read'];
export { round };
