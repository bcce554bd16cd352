/**
 * Unavailability as intervals: each generator process records the intervals in which it saw no
 * successful operation of a kind; the whole run was unavailable only where every generator was, so
 * the merged gaps are the intersection of the per-process lists. Times are epoch milliseconds. Pure.
 */
export type Interval = readonly [start: number, end: number];

/** Gaps shorter than this are not recorded (a busy closed loop has sub-millisecond ones). */
export const gapMinMs = 5;

/** Follows success times of one kind and keeps the gaps between them. */
export class GapTracker {
  private lastOkMs: number;
  private readonly gaps: Interval[] = [];

  constructor(startMs: number) {
    this.lastOkMs = startMs;
  }

  ok(atMs: number): void {
    if (atMs - this.lastOkMs >= gapMinMs) this.gaps.push([this.lastOkMs, atMs]);
    if (atMs > this.lastOkMs) this.lastOkMs = atMs;
  }

  /** The gaps, including the open one from the last success to `endMs`. */
  finish(endMs: number): Interval[] {
    const out = [...this.gaps];
    if (endMs - this.lastOkMs >= gapMinMs) out.push([this.lastOkMs, endMs]);
    return out;
  }
}

/** Intersection of two sorted, non-overlapping interval lists. */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Interval;
    const y = b[j] as Interval;
    const start = Math.max(x[0], y[0]);
    const end = Math.min(x[1], y[1]);
    if (end > start) out.push([start, end]);
    if (x[1] < y[1]) i++;
    else j++;
  }
  return out;
}

export function intersectAll(lists: readonly (readonly Interval[])[]): Interval[] {
  const [first, ...rest] = lists;
  if (first === undefined) return [];
  return rest.reduce<Interval[]>((acc, list) => intersect(acc, list), [...first]);
}

/** The longest part of any gap that lies inside [fromMs, toMs], or undefined if none does. */
export function longestWithin(gaps: readonly Interval[], fromMs: number, toMs: number): Interval | undefined {
  let best: Interval | undefined;
  for (const [start, end] of gaps) {
    const clipped: Interval = [Math.max(start, fromMs), Math.min(end, toMs)];
    if (clipped[1] <= clipped[0]) continue;
    if (best === undefined || clipped[1] - clipped[0] > best[1] - best[0]) best = clipped;
  }
  return best;
}
