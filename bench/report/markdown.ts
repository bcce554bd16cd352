/** The Markdown summary (summary.md, and the table kept in bench/README.md). */
import type { ScenarioOutcome, ScenarioResult } from '../scenarios/result.js';
import { runLabel } from '../scenarios/plan.js';
import type { ComparisonRow } from './compare.js';
import type { RunMeta } from './meta.js';

const fmt = (value: number | null | undefined, digits = 1): string => {
  if (value === null || value === undefined) return '–';
  const abs = Math.abs(value);
  const d = abs >= 100 ? 0 : abs >= 10 ? Math.min(digits, 1) : digits + 1;
  return value.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
};

const errorsText = (errors: Record<string, number>): string =>
  Object.entries(errors).map(([code, n]) => `${code} ${n}`).join(', ') || '0';

function resultRow(r: ScenarioResult): string {
  const kind = r.write.ok >= r.read.ok ? r.write : r.read;
  const l = kind.latencyMs;
  const rate = r.offeredRate === null ? '' : ` (offered ${fmt(r.offeredRate)}/s)`;
  return `| ${runLabel(r.scenario.name, r.round)} | ${r.target} | ${fmt(r.opsPerSec)}${rate} | ${fmt(l?.p50)} | ${fmt(l?.p99)} | ${fmt(l?.p999)} | ${fmt(l?.max)} | ` +
    `${fmt(r.serverCpuUsPerOp)} | ${fmt(r.generator.cpuPct)} | ${fmt(r.otherCpuPct)} | ${r.elections} | ${errorsText({ ...r.write.errors, ...r.read.errors })} |`;
}

export function resultsTable(outcomes: readonly ScenarioOutcome[]): string {
  const lines = [
    '| scenario | target | ops/s | p50 ms | p99 ms | p99.9 ms | max ms | server CPU µs/op | generator CPU % | other CPU % | elections | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const o of outcomes) {
    if (o.ok && o.fault === null) lines.push(resultRow(o));
    else if (!o.ok) lines.push(`| ${runLabel(o.scenario.name, o.round)} | ${o.target} | FAILED: ${o.error.replace(/\|/g, '/').slice(0, 200)} | | | | | | | | | |`);
  }
  return lines.join('\n');
}

export function faultTable(outcomes: readonly ScenarioOutcome[]): string {
  const lines = [
    '| fault | target | new leader after ms | write unavailable ms | read unavailable ms | write p99 during / after heal ms | read p99 during / after ms | errors during fault |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const o of outcomes) {
    if (!o.ok || o.fault === null) continue;
    const f = o.fault;
    lines.push(`| ${runLabel(o.scenario.name, o.round)} | ${o.target} | ${f.timeToNewLeaderMs === null ? 'none' : fmt(f.timeToNewLeaderMs)} | ` +
      `${fmt(f.write.unavailableMs)} | ${fmt(f.read.unavailableMs)} | ${fmt(f.write.p99DuringMs)} / ${fmt(f.write.p99AfterHealMs)} | ` +
      `${fmt(f.read.p99DuringMs)} / ${fmt(f.read.p99AfterHealMs)} | ${errorsText({ ...f.write.errorsDuring, ...f.read.errorsDuring })} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

/** With several rounds the values are medians, and a column gives the range of the per-round ratios. */
export function comparisonTable(rows: readonly ComparisonRow[]): string {
  if (rows.length === 0) return '';
  const repeated = rows.some((row) => row.rounds > 1);
  const lines = repeated
    ? ['| scenario | figure | raftkv (median) | etcd (median) | raftkv/etcd | ratio per round (min – max, rounds) | favours |', '| --- | --- | --- | --- | --- | --- | --- |']
    : ['| scenario | figure | raftkv | etcd | raftkv/etcd | favours |', '| --- | --- | --- | --- | --- | --- |'];
  for (const row of rows) {
    const range = row.ratioRange === null ? '–' : `${row.ratioRange[0]}× – ${row.ratioRange[1]}× (${row.rounds})`;
    lines.push(`| ${row.scenario} | ${row.figure} (${row.unit}) | ${fmt(row.raftkv)} | ${fmt(row.etcd)} | ${row.ratio === null ? '–' : `${row.ratio}×`} | ` +
      `${repeated ? `${range} | ` : ''}${row.favours} |`);
  }
  return lines.join('\n');
}

export function markdownSummary(meta: RunMeta, outcomes: readonly ScenarioOutcome[], rows: readonly ComparisonRow[]): string {
  const m = meta.machine;
  return [
    `# raftkv benchmark, ${meta.startedAt}`, '',
    `Machine: ${m.cores} × ${m.cpuModel}, ${m.memoryGb} GB, Linux ${m.kernel}; Node ${meta.node}; etcd ${meta.etcd ?? 'not used'}; commit ${meta.gitCommit}; network ${meta.network}.`,
    '', `Command: \`${meta.command}\``, '',
    '## Steady load', '', resultsTable(outcomes), '',
    ...(faultTable(outcomes) === '' ? [] : ['## Faults', '', faultTable(outcomes), '']),
    ...(rows.length === 0 ? [] : ['## raftkv vs etcd', '', comparisonTable(rows), '']),
  ].join('\n');
}
