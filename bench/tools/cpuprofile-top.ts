/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`) and names where the time went: self time per
 * function and per source area (our src/ directories, each node_modules package, Node internals,
 * GC), as percentages of all samples and of the busy (non-idle) ones.
 *
 *   npx tsx bench/tools/cpuprofile-top.ts FILE.cpuprofile [--top 20]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Monotonic clock, microseconds (CLOCK_MONOTONIC on Linux, like process.hrtime). */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Only samples taken inside this window (monotonic microseconds) count, when given. */
export interface SampleWindow {
  readonly fromUs: number;
  readonly toUs: number;
}

export interface HotSpot {
  readonly name: string;
  /** Share of all samples, percent. */
  readonly pct: number;
  /** Share of non-idle samples, percent. */
  readonly busyPct: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idlePct: number;
  /** Self time per function. */
  readonly functions: readonly HotSpot[];
  /** Self time per source area (a src/ directory, a package, Node internals, GC). */
  readonly areas: readonly HotSpot[];
  /** Inclusive time of our own (src/) functions: what they and everything they call took. */
  readonly ownInclusive: readonly HotSpot[];
}

function isProfile(value: unknown): value is CpuProfile {
  return typeof value === 'object' && value !== null && 'nodes' in value && 'samples' in value && 'timeDeltas' in value && 'startTime' in value;
}

function shortUrl(url: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (inModules !== null) return `${inModules[1] ?? ''}/${inModules[2] ?? ''}`;
  const inRepo = /\/((?:src|test|bench)\/.*)$/.exec(url);
  return inRepo?.[1] ?? url.replace(/^file:\/\//, '');
}

function areaOf(frame: CallFrame): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  if (frame.url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(frame.url);
  if (pkg !== null) return pkg[1] ?? 'node_modules';
  const src = /\/(src\/[^/]+)\//.exec(frame.url);
  return src?.[1] ?? shortUrl(frame.url);
}

function describe(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  // tsx-compiled modules report line 0 for everything; a line is only shown when it says something.
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : '';
  return frame.url === '' ? name : `${name} ${shortUrl(frame.url)}${line}`;
}

function rank(totals: Map<string, number>, all: number, busy: number, top: number): HotSpot[] {
  const pct = (ms: number, of: number): number => (of === 0 ? 0 : Math.round((1000 * ms) / of) / 10);
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, pct: pct(ms, all), busyPct: pct(ms, busy) }));
}

function parents(profile: CpuProfile): Map<number, number> {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  return parent;
}

/** Adds `us` to every distinct src/ function on the stack of sample node `id`. */
function addInclusive(into: Map<string, number>, id: number, us: number, frames: Map<number, CallFrame>, parent: Map<number, number>): void {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = frames.get(at);
    if (frame === undefined || frame.url.includes('node_modules') || !/\/src\//.test(frame.url)) continue;
    const name = describe(frame);
    if (!seen.has(name)) into.set(name, (into.get(name) ?? 0) + us);
    seen.add(name);
  }
}

export function summarizeProfile(file: string, top = 15, window?: SampleWindow): ProfileSummary {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${file} is not a V8 CPU profile`);
  const frames = new Map(parsed.nodes.map((n) => [n.id, n.callFrame]));
  const parent = parents(parsed);
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  let atUs = parsed.startTime;
  parsed.samples.forEach((id, i) => {
    const us = Math.max(0, parsed.timeDeltas[i] ?? 0);
    atUs += us;
    const frame = frames.get(id);
    if (frame === undefined || (window !== undefined && (atUs < window.fromUs || atUs > window.toUs))) return;
    totalUs += us;
    if (frame.functionName === '(idle)') idleUs += us;
    byFunction.set(describe(frame), (byFunction.get(describe(frame)) ?? 0) + us);
    byArea.set(areaOf(frame), (byArea.get(areaOf(frame)) ?? 0) + us);
    addInclusive(inclusive, id, us, frames, parent);
  });
  byFunction.delete('(idle)');
  byArea.delete('(idle)');
  const busyUs = totalUs - idleUs;
  return {
    file, totalMs: Math.round(totalUs / 1000), idlePct: totalUs === 0 ? 0 : Math.round((1000 * idleUs) / totalUs) / 10,
    functions: rank(byFunction, totalUs, busyUs, top), areas: rank(byArea, totalUs, busyUs, top),
    ownInclusive: rank(inclusive, totalUs, busyUs, top),
  };
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '20' }, help: { type: 'boolean' } }, allowPositionals: true });
  if (values.help === true || positionals.length === 0) {
    console.log('usage: npx tsx bench/tools/cpuprofile-top.ts [--top N] FILE.cpuprofile...  (self time by function and area, inclusive time of src/)');
    return;
  }
  for (const file of positionals) {
    const summary = summarizeProfile(file, Number(values.top));
    console.log(`${file}: ${summary.totalMs} ms sampled, ${summary.idlePct}% idle`);
    console.log('\nself time by function (% of all samples / % of busy samples):');
    for (const h of summary.functions) console.log(`  ${String(h.pct).padStart(5)}%  ${String(h.busyPct).padStart(5)}%  ${h.name}`);
    console.log('\nself time by area:');
    for (const h of summary.areas) console.log(`  ${String(h.pct).padStart(5)}%  ${String(h.busyPct).padStart(5)}%  ${h.name}`);
    console.log('\ninclusive time of src/ functions:');
    for (const h of summary.ownInclusive) console.log(`  ${String(h.pct).padStart(5)}%  ${String(h.busyPct).padStart(5)}%  ${h.name}`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main();
