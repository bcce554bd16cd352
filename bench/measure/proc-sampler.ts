/**
 * CPU and memory of the server processes, read from /proc/<pid>/stat once a second (and on demand
 * at the edges of the measured window): user+system CPU in clock ticks and the resident set. A node
 * that is restarted gets a new pid; its CPU is counted per pid, so nothing is lost or doubled.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  readonly atMs: number;
  readonly pid: number;
  /** utime + stime, in seconds. */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

function sysconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isSafeInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

const clockTicksPerSec = sysconf('CLK_TCK', 100);
const pageBytes = sysconf('PAGESIZE', 4096);

/** One reading of /proc/<pid>/stat, or undefined if the process is gone. */
export function readProcStat(pid: number, atMs: number): ProcSample | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (comm) is in parentheses and may hold spaces: split after the last ')'. The rest
  // starts at field 3 (state); utime, stime and rss are fields 14, 15 and 24.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  if (![utime, stime, rssPages].every(Number.isFinite)) return undefined;
  return { atMs, pid, cpuSeconds: (utime + stime) / clockTicksPerSec, rssBytes: rssPages * pageBytes };
}

export interface MachineSample {
  readonly atMs: number;
  /** Busy CPU time of the whole machine (all cores, everything but idle and iowait), seconds. */
  readonly busySeconds: number;
}

/** The machine's busy CPU time from the first line of /proc/stat, or undefined if unreadable. */
export function readMachineBusy(atMs: number): MachineSample | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const fields = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...
  const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (fields[i] ?? 0), 0);
  return Number.isFinite(busy) ? { atMs, busySeconds: busy / clockTicksPerSec } : undefined;
}

export type PidSource = () => ReadonlyMap<number, number | undefined>;

export class ProcSampler {
  private readonly samples = new Map<number, ProcSample[]>();
  readonly machine: MachineSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: PidSource, private readonly now: () => number) {}

  start(periodMs = 1000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), periodMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(): void {
    const atMs = this.now();
    const machine = readMachineBusy(atMs);
    if (machine !== undefined) this.machine.push(machine);
    for (const [node, pid] of this.pids()) {
      if (pid === undefined) continue;
      const sample = readProcStat(pid, atMs);
      if (sample === undefined) continue;
      const list = this.samples.get(node) ?? [];
      list.push(sample);
      this.samples.set(node, list);
    }
  }

  /** Samples per node, in time order. */
  get byNode(): ReadonlyMap<number, readonly ProcSample[]> {
    return this.samples;
  }
}

/** CPU seconds a node used between `fromMs` and `toMs`, summed over its pids. */
export function cpuSecondsBetween(samples: readonly ProcSample[], fromMs: number, toMs: number): number {
  const inWindow = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const byPid = new Map<number, ProcSample[]>();
  for (const s of inWindow) byPid.set(s.pid, [...(byPid.get(s.pid) ?? []), s]);
  let total = 0;
  for (const list of byPid.values()) {
    const first = list[0];
    const last = list[list.length - 1];
    if (first !== undefined && last !== undefined) total += last.cpuSeconds - first.cpuSeconds;
  }
  return total;
}

/** Busy CPU seconds of the whole machine between `fromMs` and `toMs`. */
export function machineBusyBetween(samples: readonly MachineSample[], fromMs: number, toMs: number): number {
  const inWindow = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  return first === undefined || last === undefined ? 0 : last.busySeconds - first.busySeconds;
}
