/**
 * One Range response page from one or more groups, with bounded work per synchronous step: each
 * group is read in steps of at most `stepRowsMax` rows (one SQLite statement each), and the
 * handler yields to the event loop between steps and between groups, so Raft ticks, heartbeats
 * and other calls run while a large scan is served. The groups' rows are merged in key order as
 * they are read (a k-way merge), so a page holds at most `rowsMax` rows and `bytesMax` bytes, and
 * the rows buffered at once are at most one step per group beyond that.
 *
 * A page is not one snapshot: a write applied between two steps may or may not be seen (as
 * between two pages, kv.proto). Every key that existed through the whole call is seen once.
 */
import type { KeyValue } from '../storage/kv-types.js';

/** One group's keys in the requested range, in byte order. */
export interface RowSource {
  /** At most `rowsMax` keys after `after` (from the start when null), stopping early past `bytesMax`; synchronous. */
  read(after: Uint8Array | null, rowsMax: number, bytesMax: number): { readonly kvs: readonly KeyValue[]; readonly more: boolean };
  /** Keys in the range, counted in bounded steps (the caller yields between them). */
  countStep(from: Uint8Array | null, rowsMax: number): { readonly counted: number; readonly next: Uint8Array | null };
}

/** The bounds of range-limits.ts (tests pass smaller ones). */
export interface PageBounds {
  readonly pageRowsMax: number;
  readonly pageBytesMax: number;
  readonly stepRowsMax: number;
  readonly countStepRowsMax: number;
}

export interface CollectedPage {
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

export interface Steps {
  /** Runs between synchronous steps: lets the event loop run. */
  readonly yieldStep: () => Promise<void>;
  /** Checks the sources may still be read (after every yield); throws a KvError if not. */
  readonly guard: () => void;
}

class Cursor {
  private rows: readonly KeyValue[] = [];
  private at = 0;
  private last: Uint8Array | null;
  /** Rows read so far; the group's count when it was read from the start to the end. */
  read = 0;
  more = true;

  constructor(
    readonly source: RowSource,
    private readonly after: Uint8Array | null,
  ) {
    this.last = after;
  }

  head(): KeyValue | undefined {
    return this.rows[this.at];
  }

  take(): void {
    this.at++;
  }

  /** True when the buffer is empty but the group has more: the next step must read it. */
  needsRead(): boolean {
    return this.at >= this.rows.length && this.more;
  }

  fill(rowsMax: number, bytesMax: number): void {
    const { kvs, more } = this.source.read(this.last, rowsMax, bytesMax);
    this.rows = kvs;
    this.at = 0;
    this.more = more && kvs.length > 0;
    this.read += kvs.length;
    this.last = kvs[kvs.length - 1]?.key ?? this.last;
  }

  /** Whether every key of the group was read, so `read` is its count. */
  whole(): boolean {
    return this.after === null && !this.more;
  }
}

/** Where a page starts, how many keys it may hold, and the range's count if a token carried it. */
export interface PageRequest {
  readonly after: Uint8Array | null;
  readonly limit: number;
  readonly count: number | null;
}

/**
 * The first page of the range after `request.after` over every source, merged in key order;
 * `yieldStep` runs between synchronous steps and `guard` before each read that follows one.
 */
export async function collectPage(sources: readonly RowSource[], request: PageRequest, bounds: PageBounds, steps: Steps): Promise<CollectedPage> {
  const { after, limit } = request;
  const rowsMax = Math.max(1, Math.min(limit, bounds.pageRowsMax));
  // Keys spread over groups by hash, so each group holds about rowsMax / groups of the page: read
  // twice that per step (a group that holds more is read again), not rowsMax from every group.
  const stepRows = Math.min(rowsMax, bounds.stepRowsMax, Math.ceil((2 * rowsMax) / Math.max(1, sources.length)) + 8);
  const cursors = sources.map((source) => new Cursor(source, after));
  const kvs: KeyValue[] = [];
  let bytes = 0;
  for (;;) {
    for (const cursor of cursors) {
      if (!cursor.needsRead()) continue;
      await steps.yieldStep();
      steps.guard();
      cursor.fill(stepRows, bounds.pageBytesMax);
    }
    const next = smallest(cursors);
    if (next === undefined) break;
    const kv = next.head();
    if (kv === undefined) break;
    const size = kv.key.byteLength + kv.value.byteLength;
    if (kvs.length === rowsMax || (kvs.length > 0 && bytes + size > bounds.pageBytesMax)) break;
    kvs.push(kv);
    bytes += size;
    next.take();
  }
  const more = cursors.some((c) => c.head() !== undefined || c.more);
  return { kvs, more, count: request.count ?? (await countAll(cursors, bounds, steps)) };
}

/** Keys in the whole range over every source (a `count_only` Range), in bounded steps. */
export function countKeys(sources: readonly RowSource[], bounds: PageBounds, steps: Steps): Promise<number> {
  return countAll(sources.map((source) => new Cursor(source, null)), bounds, steps);
}

/** The cursor whose next key is smallest; undefined when every cursor is exhausted. */
function smallest(cursors: readonly Cursor[]): Cursor | undefined {
  let best: Cursor | undefined;
  let bestKey: Uint8Array | undefined;
  for (const cursor of cursors) {
    const key = cursor.head()?.key;
    if (key !== undefined && (bestKey === undefined || Buffer.compare(key, bestKey) < 0)) {
      best = cursor;
      bestKey = key;
    }
  }
  return best;
}

/** Keys in the whole range: free for a group read whole, else counted in bounded steps. */
async function countAll(cursors: readonly Cursor[], bounds: PageBounds, steps: Steps): Promise<number> {
  let total = 0;
  for (const cursor of cursors) {
    if (cursor.whole()) {
      total += cursor.read;
      continue;
    }
    let from: Uint8Array | null = null;
    do {
      await steps.yieldStep();
      steps.guard();
      const step = cursor.source.countStep(from, bounds.countStepRowsMax);
      total += step.counted;
      from = step.next;
    } while (from !== null);
  }
  return total;
}
