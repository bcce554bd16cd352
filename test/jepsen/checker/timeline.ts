// Goal: show a human why a key failed the check, as Jepsen's and porcupine's timelines do. Method:
// pick the operations of the failing key that overlap the failure window (plus the last few
// operations linearized before it), then draw one row per process with a bar from invoke to
// completion, as plain text for terminals and logs, and as one self-contained HTML file (inline
// CSS, no scripts, no external resources) for a browser.

import type { Operation } from './history.js';
import type { KeyFailure } from './linearizability.js';
import { describeOp, formatValue } from './register-model.js';

/** How an operation relates to the failure; drives the bar's fill and colour. */
export type OpRole = 'linearized' | 'unplaced' | 'deadline' | 'dropped' | 'other';

export interface TimelineOptions {
  /** At most this many operations are drawn; the rest of the window is summarised. */
  readonly opsMax?: number;
  /** How many operations of the linearized prefix to show before the window. */
  readonly contextOps?: number;
  /** Width of the text timeline's bar area in characters. */
  readonly widthChars?: number;
}

export interface TimelineRow {
  readonly process: number;
  readonly ops: readonly Operation[];
}

export interface TimelineView {
  readonly failure: KeyFailure;
  /** Ops drawn, in invoke order; their number in labels is their position here plus one. */
  readonly ops: readonly Operation[];
  readonly rows: readonly TimelineRow[];
  readonly roles: ReadonlyMap<Operation, OpRole>;
  /** Reasons for unplaced operations. */
  readonly reasons: ReadonlyMap<Operation, string>;
  readonly start: number;
  readonly end: number;
  /** Operations in the window that were not drawn because of `opsMax`. */
  readonly omitted: number;
}

function roleOf(op: Operation, failure: KeyFailure, linearized: ReadonlySet<Operation>, unplaced: ReadonlySet<Operation>): OpRole {
  if (op === failure.deadline) return 'deadline';
  if (unplaced.has(op)) return 'unplaced';
  if (linearized.has(op)) return 'linearized';
  if (op.outcome === 'fail' || (op.outcome === 'info' && op.f === 'read')) return 'dropped';
  return 'other';
}

/** Chooses what to draw: everything of the key overlapping the window, plus recent context. */
export function buildTimelineView(allOps: readonly Operation[], failure: KeyFailure, options: TimelineOptions = {}): TimelineView {
  const contextOps = options.contextOps ?? 4;
  const opsMax = options.opsMax ?? 80;
  const context = failure.linearized.slice(Math.max(0, failure.linearized.length - contextOps));
  const from = Math.min(failure.window.from, ...context.map((op) => op.invokeTime));
  const to = failure.window.to;
  const inWindow = allOps.filter((op) => op.key === failure.key && op.invokeTime <= to && op.completeTime >= from);
  const ops = inWindow.slice(0, opsMax);
  const linearized = new Set(failure.linearized);
  const unplaced = new Set(failure.unplaced.map((entry) => entry.op));
  const roles = new Map(ops.map((op) => [op, roleOf(op, failure, linearized, unplaced)] as const));
  const reasons = new Map(failure.unplaced.map((entry) => [entry.op, entry.reason] as const));
  const byProcess = new Map<number, Operation[]>();
  for (const op of ops) byProcess.set(op.process, [...(byProcess.get(op.process) ?? []), op]);
  const rows = [...byProcess.entries()].sort(([a], [b]) => a - b).map(([process, rowOps]) => ({ process, ops: rowOps }));
  const finiteEnds = ops.map((op) => op.completeTime).filter((t) => Number.isFinite(t));
  const start = Math.min(...ops.map((op) => op.invokeTime));
  const end = Math.max(start + 1, to, ...finiteEnds.filter((t) => t <= to + (to - start)));
  return { failure, ops, rows, roles, reasons, start, end, omitted: inWindow.length - ops.length };
}

function timeSpan(op: Operation): string {
  return `[${op.invokeTime} .. ${Number.isFinite(op.completeTime) ? op.completeTime : 'never'}]`;
}

const textFill: Record<OpRole, string> = { linearized: '=', unplaced: '!', deadline: '#', dropped: '.', other: '-' };

function drawRow(view: TimelineView, row: TimelineRow, width: number): string {
  const cells = Array.from({ length: width }, () => ' ');
  const column = (t: number): number => Math.min(width - 1, Math.round(((t - view.start) / (view.end - view.start)) * (width - 1)));
  for (const op of row.ops) {
    const first = column(op.invokeTime);
    const last = Number.isFinite(op.completeTime) ? column(op.completeTime) : width - 1;
    const fill = textFill[view.roles.get(op) ?? 'other'];
    for (let c = first; c <= last; c += 1) cells[c] = fill;
    cells[first] = '[';
    cells[last] = Number.isFinite(op.completeTime) ? ']' : '>';
    const label = `${view.ops.indexOf(op) + 1}`;
    if (last - first - 1 >= label.length) {
      for (const [i, ch] of [...label].entries()) cells[first + 1 + i] = ch;
    }
  }
  return cells.join('');
}

/** Plain-text timeline: a header, one row per process, then a numbered legend. */
export function renderTextTimeline(view: TimelineView, options: TimelineOptions = {}): string {
  const width = Math.max(20, options.widthChars ?? 72);
  const { failure } = view;
  const lines = [
    `Key ${JSON.stringify(failure.key)} is not linearizable.`,
    `After ${failure.linearized.length} linearized operations the register held ${formatValue(failure.stateAfter)};`,
    `none of the operations marked ! or # could take effect next (# returned first, so it had to).`,
    `Time axis: ${view.start} ns to ${view.end} ns, about ${Math.max(1, Math.round((view.end - view.start) / width))} ns per column.`,
    `Bars: = linearized, ! could not be placed, # deadline, . dropped (fail, or info read), - other; > never returned.`,
    '',
  ];
  const labelWidth = Math.max(...view.rows.map((row) => `p${row.process}`.length));
  for (const row of view.rows) lines.push(`${`p${row.process}`.padStart(labelWidth)} |${drawRow(view, row, width)}|`);
  lines.push('');
  for (const [i, op] of view.ops.entries()) {
    const role = view.roles.get(op) ?? 'other';
    const reason = view.reasons.get(op);
    const note = reason === undefined ? role : `${role}: ${reason}`;
    lines.push(`${String(i + 1).padStart(3)}  p${op.process}  ${describeOp(op)}  ${op.outcome}  ${timeSpan(op)}  (${note})`);
  }
  if (view.omitted > 0) lines.push(`... ${view.omitted} more operations in the window not drawn`);
  return `${lines.join('\n')}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const htmlStyle = `
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; } code, td { font-family: ui-monospace, monospace; }
.chart { border: 1px solid #ccc; padding: 8px 8px 8px 0; }
.row { display: flex; align-items: center; height: 30px; border-bottom: 1px dotted #eee; }
.proc { width: 64px; text-align: right; padding-right: 8px; flex: none; font-family: ui-monospace, monospace; }
.track { position: relative; flex: 1; height: 24px; }
.bar { position: absolute; top: 2px; height: 20px; min-width: 3px; box-sizing: border-box; overflow: hidden;
  white-space: nowrap; font-size: 11px; line-height: 20px; padding: 0 3px; border-radius: 3px; border: 1px solid #555; }
.linearized { background: #b7e4b0; } .unplaced { background: #f4a6a6; border-color: #a00; }
.deadline { background: #e05555; color: #fff; border: 2px solid #600; }
.dropped { background: repeating-linear-gradient(45deg, #eee, #eee 4px, #ddd 4px, #ddd 8px); color: #777; }
.other { background: #dde3ea; } .open { border-right: 2px dashed #555; border-radius: 3px 0 0 3px; }
table { border-collapse: collapse; margin-top: 12px; } td, th { border: 1px solid #ddd; padding: 2px 6px; text-align: left; }
`;

function htmlBar(view: TimelineView, op: Operation): string {
  const span = view.end - view.start;
  const left = ((op.invokeTime - view.start) / span) * 100;
  const right = Number.isFinite(op.completeTime) ? Math.min(100, ((op.completeTime - view.start) / span) * 100) : 100;
  const role = view.roles.get(op) ?? 'other';
  const number = view.ops.indexOf(op) + 1;
  const reason = view.reasons.get(op);
  const title = `#${number} p${op.process} ${describeOp(op)} ${op.outcome} ${timeSpan(op)}${reason === undefined ? '' : ` - ${reason}`}`;
  const classes = `bar ${role}${Number.isFinite(op.completeTime) ? '' : ' open'}`;
  const style = `left:${left.toFixed(3)}%;width:${Math.max(0, right - left).toFixed(3)}%`;
  return `<div class="${classes}" style="${style}" title="${escapeHtml(title)}">${escapeHtml(`#${number} ${describeOp(op)} ${op.outcome}`)}</div>`;
}

function htmlTable(view: TimelineView): string {
  const header = '<tr><th>#</th><th>process</th><th>operation</th><th>outcome</th><th>invoke (ns)</th><th>complete (ns)</th><th>role</th></tr>';
  const rows = view.ops.map((op, i) => {
    const role = view.roles.get(op) ?? 'other';
    const reason = view.reasons.get(op);
    const cells = [String(i + 1), `p${op.process}`, describeOp(op), op.outcome, String(op.invokeTime),
      Number.isFinite(op.completeTime) ? String(op.completeTime) : 'never', reason === undefined ? role : `${role}: ${reason}`];
    return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
  });
  return `<table>${header}${rows.join('')}</table>`;
}

/** A complete HTML document for one failing key. */
export function renderHtmlTimeline(view: TimelineView): string {
  const { failure } = view;
  const rows = view.rows.map((row) =>
    `<div class="row"><div class="proc">p${row.process}</div><div class="track">${row.ops.map((op) => htmlBar(view, op)).join('')}</div></div>`);
  const omitted = view.omitted > 0 ? `<p>${view.omitted} more operations in the window are not drawn.</p>` : '';
  const title = `Key ${JSON.stringify(failure.key)} is not linearizable`;
  return [
    '<!DOCTYPE html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${htmlStyle}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>After ${failure.linearized.length} linearized operations the register held <code>${escapeHtml(formatValue(failure.stateAfter))}</code>.`,
    ' Red operations could not take effect next; the dark red one returned first, so it had to. Green ones were linearized; striped ones were dropped (fail, or a read that ended info); a dashed right edge means the operation never returned.</p>',
    `<p>Time axis from ${view.start} ns to ${view.end} ns.</p>`,
    `<div class="chart">${rows.join('')}</div>`,
    omitted,
    htmlTable(view),
    '</body></html>',
    '',
  ].join('\n');
}
