/**
 * The self-contained HTML report: run header, target settings, the comparison table, the result
 * tables, and per scenario inline-SVG timelines of throughput, p99 latency and server CPU for each
 * target, with the fault window shaded. No scripts and no external resources.
 */
import type { ScenarioOutcome, ScenarioResult } from '../scenarios/result.js';
import { runLabel } from '../scenarios/plan.js';
import type { ComparisonRow } from './compare.js';
import { comparisonTable, faultTable, resultsTable } from './markdown.js';
import type { RunMeta } from './meta.js';
import { escapeXml, lineChart, type Band, type Series } from './svg.js';

const colors: Record<string, string> = { raftkv: '#1f77b4', etcd: '#ff7f0e' };

/** Renders one of our own Markdown tables (markdown.ts) as an HTML table. */
function tableHtml(markdown: string): string {
  const lines = markdown.split('\n').filter((l) => l.startsWith('|'));
  const cells = (line: string): string[] => line.slice(1, -1).split('|').map((c) => escapeXml(c.trim()));
  const [head, , ...body] = lines;
  if (head === undefined) return '';
  const rows = body.map((l) => `<tr>${cells(l).map((c) => `<td class="${/^(raftkv|etcd)$/.test(c) ? c : ''}">${c}</td>`).join('')}</tr>`);
  return `<table><thead><tr>${cells(head).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The target, and the round when a --repeat run has several (their lines share the target's colour). */
function runName(r: ScenarioResult): string {
  return runLabel(r.target, r.round);
}

function bands(results: readonly ScenarioResult[]): Band[] {
  const fault = results.find((r) => r.fault !== null)?.fault;
  return fault == null ? [] : [{ from: fault.injectedAtS, to: fault.healedAtS, label: fault.name }];
}

function series(results: readonly ScenarioResult[], pick: (r: ScenarioResult, kind: 'write' | 'read', i: number) => number | null): Series[] {
  return results.flatMap((r) => (['write', 'read'] as const)
    .filter((kind) => r.timeline.some((p) => p[kind].ok > 0))
    .map((kind): Series => ({
      name: `${runName(r)} ${kind}`, color: colors[r.target] ?? '#555', dashed: kind === 'read',
      points: r.timeline.map((p, i) => [p.second + 0.5, pick(r, kind, i)] as const),
    })));
}

function charts(results: readonly ScenarioResult[]): string {
  const shaded = bands(results);
  const throughput = lineChart({ title: 'successful operations per second', yUnit: 'ops/s', bands: shaded,
    series: series(results, (r, kind, i) => r.timeline[i]?.[kind].ok ?? 0) });
  const p99 = lineChart({ title: 'p99 latency per second (completed operations)', yUnit: 'ms', bands: shaded,
    series: series(results, (r, kind, i) => r.timeline[i]?.[kind].p99 ?? null) });
  const cpu = lineChart({ title: 'server CPU, all members', yUnit: '% of one core', bands: shaded,
    series: results.map((r): Series => ({ name: runName(r), color: colors[r.target] ?? '#555', points: r.timeline.map((p) => [p.second + 0.5, p.serverCpuPct] as const) })) });
  return `<div class="charts">${throughput}${p99}${cpu}</div>`;
}

function leaderLine(r: ScenarioResult): string {
  const events = r.leaderEvents.filter((e) => e.atS >= 0).map((e) => `${e.atS.toFixed(2)} s n${e.node} ${e.state}@${e.term}`);
  return `<p class="small"><b>${runName(r)}</b> leader at start n${r.leaderAtStart}; member changes: ${escapeXml(events.join(' · ') || 'none')}` +
    `${r.serverFailures.length > 0 ? `; <b>unexpected exits</b>: ${escapeXml(r.serverFailures.join('; '))}` : ''}; logs: ${escapeXml(r.logDir)}</p>`;
}

function profileHtml(r: ScenarioResult): string {
  if (r.profile === null) return '';
  const rows = r.profile.functions.map((h) => `| ${h.pct}% | ${h.busyPct}% | ${h.name} |`);
  const areas = r.profile.areas.map((h) => `| ${h.pct}% | ${h.busyPct}% | ${h.name} |`);
  const own = r.profile.ownInclusive.map((h) => `| ${h.pct}% | ${h.busyPct}% | ${h.name} |`);
  const head = '| % of samples | % of busy | where |\n| --- | --- | --- |\n';
  return `<h4>CPU profile of the ${runName(r)} leader (${r.profile.totalMs} ms sampled, ${r.profile.idlePct}% idle)</h4>` +
    '<p class="small">self time by area, self time by function, inclusive time of src/ functions (wall-clock samples of the main thread: time blocked in fsync or waiting for a core counts as busy)</p>' +
    tableHtml(head + areas.join('\n')) + tableHtml(head + rows.join('\n')) + tableHtml(head + own.join('\n'));
}

function scenarioSection(name: string, outcomes: readonly ScenarioOutcome[]): string {
  const ok = outcomes.filter((o): o is ScenarioResult => o.ok);
  const failed = outcomes.filter((o) => !o.ok).map((o) => (o.ok ? '' : `<p class="bad">${escapeXml(`${o.target}: ${o.error}`)}</p>`));
  const first = outcomes[0];
  const description = first === undefined ? '' : escapeXml(first.scenario.description);
  const rate = ok.find((r) => r.offeredRate !== null)?.offeredRate;
  return `<section><h3>${escapeXml(name)}</h3><p>${description}${rate == null ? '' : ` — offered ${rate} ops/s`}</p>${failed.join('')}` +
    `${ok.length > 0 ? charts(ok) : ''}${ok.map(leaderLine).join('')}${ok.map(profileHtml).join('')}</section>`;
}

const style = `body{font-family:sans-serif;margin:24px;max-width:1400px;color:#222}table{border-collapse:collapse;margin:8px 0 18px;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:8px}.small{font-size:12px;color:#444}.bad{color:#b00}td.raftkv{color:#1f77b4}td.etcd{color:#c05a00}
section{border-top:1px solid #ddd;margin-top:18px}`;

export function htmlReport(meta: RunMeta, outcomes: readonly ScenarioOutcome[], rows: readonly ComparisonRow[]): string {
  const names = [...new Set(outcomes.map((o) => o.scenario.name))];
  const settings = Object.entries(meta.targets).map(([target, s]) => `| ${target} | ${Object.entries(s).map(([k, v]) => `${k}: ${v}`).join('; ')} |`);
  const m = meta.machine;
  return `<!doctype html><html><head><meta charset="utf-8"><title>raftkv benchmark ${escapeXml(meta.startedAt)}</title><style>${style}</style></head><body>` +
    `<h1>raftkv benchmark</h1><p>${escapeXml(`${meta.startedAt} – ${meta.finishedAt}; ${m.cores} × ${m.cpuModel}, ${m.memoryGb} GB, Linux ${m.kernel}, load ${m.loadAverageAtStart.join(' ')} at start; Node ${meta.node}; etcd ${meta.etcd ?? 'not used'}; commit ${meta.gitCommit}; network ${meta.network}`)}</p>` +
    `<p><code>${escapeXml(meta.command)}</code></p><p class="small">client: ${escapeXml(Object.entries(meta.client).map(([k, v]) => `${k} ${v}`).join(', '))}</p>` +
    `<h2>Targets</h2>${tableHtml(`| target | settings |\n| --- | --- |\n${settings.join('\n')}`)}` +
    (rows.length === 0 ? '' : `<h2>raftkv vs etcd</h2><p class="small">ratio = raftkv / etcd; "favours" applies the figure's direction (throughput higher, everything else lower), with 5% counted as even; with --repeat each side is the median of its rounds.</p>${tableHtml(comparisonTable(rows))}`) +
    `<h2>Steady load</h2>${tableHtml(resultsTable(outcomes))}` +
    (faultTable(outcomes) === '' ? '' : `<h2>Faults</h2>${tableHtml(faultTable(outcomes))}`) +
    `<h2>Timelines</h2>${names.map((n) => scenarioSection(n, outcomes.filter((o) => o.scenario.name === n))).join('')}</body></html>`;
}
