/**
 * Merges what several generator processes recorded into one view: histograms added, counts and
 * error codes summed, second by second, and unavailability gaps intersected (the run was without
 * successes only where every generator was).
 */
import hdr from 'hdr-histogram-js';
import type { OpKind } from '../load/workload.js';
import { intersectAll, type Interval } from './gaps.js';
import { newHistogram, type KindData, type RecorderData } from './recorder.js';

type Histogram = ReturnType<typeof hdr.build>;

export interface MergedSecond {
  ok: number;
  errors: Record<string, number>;
  hist: Histogram | undefined;
}

export interface MergedKind {
  readonly hist: Histogram;
  readonly okMeasured: number;
  readonly errorsMeasured: Record<string, number>;
  readonly seconds: MergedSecond[];
  readonly gaps: Interval[];
}

export interface MergedRun {
  readonly t0Ms: number;
  readonly measureFromMs: number;
  readonly measureToMs: number;
  readonly endMs: number;
  readonly kinds: Record<OpKind, MergedKind>;
}

export function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [code, count] of Object.entries(from)) into[code] = (into[code] ?? 0) + count;
}

function decode(base64: string): Histogram | undefined {
  return base64 === '' ? undefined : hdr.decodeFromCompressedBase64(base64);
}

function mergeKind(parts: readonly KindData[]): MergedKind {
  const hist = newHistogram(3);
  const errorsMeasured: Record<string, number> = {};
  const seconds: MergedSecond[] = [];
  let okMeasured = 0;
  for (const part of parts) {
    const decoded = decode(part.hist);
    if (decoded !== undefined) hist.add(decoded);
    okMeasured += part.okMeasured;
    addCounts(errorsMeasured, part.errorsMeasured);
    part.seconds.forEach((second, index) => {
      while (seconds.length <= index) seconds.push({ ok: 0, errors: {}, hist: undefined });
      const into = seconds[index] as MergedSecond;
      into.ok += second.ok;
      addCounts(into.errors, second.errors);
      const h = decode(second.hist);
      if (h === undefined) return;
      into.hist ??= newHistogram(2);
      into.hist.add(h);
    });
  }
  return { hist, okMeasured, errorsMeasured, seconds, gaps: intersectAll(parts.map((p) => p.gaps)) };
}

export function mergeRuns(parts: readonly RecorderData[]): MergedRun {
  const first = parts[0];
  if (first === undefined) throw new Error('Cannot merge zero generator results');
  return {
    t0Ms: first.t0Ms,
    measureFromMs: first.measureFromMs,
    measureToMs: first.measureToMs,
    endMs: Math.max(...parts.map((p) => p.endMs)),
    kinds: { write: mergeKind(parts.map((p) => p.kinds.write)), read: mergeKind(parts.map((p) => p.kinds.read)) },
  };
}

/** Histogram of the seconds in [fromSecond, toSecond) (indices since t0), or undefined if empty. */
export function histogramOfSeconds(kind: MergedKind, fromSecond: number, toSecond: number): Histogram | undefined {
  let out: Histogram | undefined;
  for (let i = Math.max(0, fromSecond); i < Math.min(toSecond, kind.seconds.length); i++) {
    const h = kind.seconds[i]?.hist;
    if (h === undefined) continue;
    out ??= newHistogram(2);
    out.add(h);
  }
  return out;
}
