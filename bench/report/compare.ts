/**
 * The raftkv-vs-etcd table: for every scenario both targets ran, each figure side by side with the
 * ratio raftkv/etcd and which side it favours (higher is better for throughput, lower for latency,
 * CPU per operation and unavailability). With --repeat each side is the median of its rounds, and
 * the ratios of the single rounds (raftkv and etcd of the same round) give the range: on a shared
 * 2-core machine identical runs differ by 10–20%, so one round's ratio alone can mislead.
 */
import type { KindFaultFigures } from '../measure/fault-figures.js';
import type { KindSummary } from '../measure/summary.js';
import type { ScenarioOutcome, ScenarioResult } from '../scenarios/result.js';

export type Better = 'higher' | 'lower' | 'info';

export interface ComparisonRow {
  readonly scenario: string;
  readonly figure: string;
  readonly unit: string;
  readonly raftkv: number | null;
  readonly etcd: number | null;
  /** raftkv / etcd (of the medians when there are several rounds). */
  readonly ratio: number | null;
  /** Rounds in which both targets have the figure. */
  readonly rounds: number;
  /** Smallest and largest ratio of a single round; null with fewer than two rounds. */
  readonly ratioRange: readonly [number, number] | null;
  readonly better: Better;
  readonly favours: 'raftkv' | 'etcd' | 'even' | '';
}

interface Figure {
  readonly figure: string;
  readonly unit: string;
  readonly better: Better;
  readonly pick: (r: ScenarioResult) => number | null | undefined;
}

/** Within this relative difference the two count as even. */
const evenTolerance = 0.05;

function kindFigures(kind: 'write' | 'read', label: string): Figure[] {
  const k = (r: ScenarioResult): KindSummary => r[kind];
  return [
    { figure: `${label} throughput`, unit: 'ops/s', better: 'higher', pick: (r) => k(r).opsPerSec },
    { figure: `${label} p50`, unit: 'ms', better: 'lower', pick: (r) => k(r).latencyMs?.p50 },
    { figure: `${label} p99`, unit: 'ms', better: 'lower', pick: (r) => k(r).latencyMs?.p99 },
    { figure: `${label} p99.9`, unit: 'ms', better: 'lower', pick: (r) => k(r).latencyMs?.p999 },
    { figure: `${label} max`, unit: 'ms', better: 'lower', pick: (r) => k(r).latencyMs?.max },
  ];
}

const usage: Figure[] = [
  { figure: 'server CPU per op (all members)', unit: 'µs', better: 'lower', pick: (r) => r.serverCpuUsPerOp },
  { figure: 'server CPU (all members)', unit: '% of a core', better: 'info', pick: (r) => r.servers.reduce((s, x) => s + x.cpuPct, 0) },
  { figure: 'server RSS, largest member', unit: 'MB', better: 'lower', pick: (r) => Math.max(0, ...r.servers.map((s) => s.rssMbMax)) },
  { figure: 'generator CPU per op', unit: 'µs', better: 'info', pick: (r) => r.generator.cpuUsPerOp },
];

function faultKind(kind: 'write' | 'read', label: string): Figure[] {
  const f = (r: ScenarioResult): KindFaultFigures | undefined => r.fault?.[kind];
  const errors = (r: ScenarioResult): number | undefined => {
    const fig = f(r);
    return fig === undefined ? undefined : Object.values(fig.errorsDuring).reduce((a, b) => a + b, 0) + Object.values(fig.errorsAfterHeal).reduce((a, b) => a + b, 0);
  };
  return [
    { figure: `${label} unavailability`, unit: 'ms', better: 'lower', pick: (r) => f(r)?.unavailableMs },
    { figure: `${label} recovery after heal`, unit: 'ms', better: 'lower', pick: (r) => f(r)?.recoveryAfterHealMs },
    { figure: `${label} p99 during fault`, unit: 'ms', better: 'lower', pick: (r) => f(r)?.p99DuringMs },
    { figure: `${label} p99, 10 s after heal`, unit: 'ms', better: 'lower', pick: (r) => f(r)?.p99AfterHealMs },
    // Not better or worse: a member that refuses at once (NOT_LEADER) yields more errors than one that blocks until the deadline.
    { figure: `${label} errors (fault + after)`, unit: 'count', better: 'info', pick: errors },
  ];
}

function figuresFor(result: ScenarioResult): Figure[] {
  if (result.fault !== null) {
    return [
      { figure: 'time to new leader', unit: 'ms', better: 'lower', pick: (r) => r.fault?.timeToNewLeaderMs },
      ...faultKind('write', 'write'), ...faultKind('read', 'linearizable read'),
    ];
  }
  const kinds = [...(result.write.ok > 0 ? kindFigures('write', 'write') : []), ...(result.read.ok > 0 ? kindFigures('read', 'read') : [])];
  return [...kinds, ...usage];
}

function favours(raftkv: number | null, etcd: number | null, better: Better): ComparisonRow['favours'] {
  if (raftkv === null || etcd === null || better === 'info') return '';
  const scale = Math.max(Math.abs(raftkv), Math.abs(etcd));
  if (scale === 0 || Math.abs(raftkv - etcd) / scale <= evenTolerance) return 'even';
  return (raftkv > etcd) === (better === 'higher') ? 'raftkv' : 'etcd';
}

/** The middle value, or the mean of the two middle ones; null for none. */
export function median(values: readonly number[]): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return null;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function ratioOf(raftkv: number | null, etcd: number | null): number | null {
  return raftkv === null || etcd === null || etcd === 0 ? null : Math.round((100 * raftkv) / etcd) / 100;
}

function compareFigure(name: string, fig: Figure, mine: readonly ScenarioResult[], theirs: readonly ScenarioResult[]): ComparisonRow {
  const values = (results: readonly ScenarioResult[]): number[] => results.flatMap((r) => {
    const v = fig.pick(r);
    return v === null || v === undefined ? [] : [v];
  });
  const raftkv = median(values(mine));
  const etcd = median(values(theirs));
  const perRound = mine.flatMap((m) => {
    const t = theirs.find((r) => r.round === m.round);
    const ratio = t === undefined ? null : ratioOf(fig.pick(m) ?? null, fig.pick(t) ?? null);
    return ratio === null ? [] : [ratio];
  });
  const ratioRange = perRound.length < 2 ? null : [Math.min(...perRound), Math.max(...perRound)] as const;
  return {
    scenario: name, figure: fig.figure, unit: fig.unit, raftkv, etcd, ratio: ratioOf(raftkv, etcd),
    rounds: perRound.length, ratioRange, better: fig.better, favours: favours(raftkv, etcd, fig.better),
  };
}

export function compare(outcomes: readonly ScenarioOutcome[]): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  const names = [...new Set(outcomes.map((o) => o.scenario.name))];
  const resultsOf = (name: string, target: string): ScenarioResult[] =>
    outcomes.filter((o): o is ScenarioResult => o.ok && o.scenario.name === name && o.target === target);
  for (const name of names) {
    const mine = resultsOf(name, 'raftkv');
    const theirs = resultsOf(name, 'etcd');
    const first = mine[0];
    if (first === undefined || theirs.length === 0) continue;
    for (const fig of figuresFor(first)) rows.push(compareFigure(name, fig, mine, theirs));
  }
  return rows;
}
