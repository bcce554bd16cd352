/**
 * The newest entries of a group's log, kept in memory as they are appended. They are read back
 * soon after: by the core to apply them once committed, and by a leader to send them to a
 * follower that lags a little. Serving those reads from here saves a SELECT and a decode per
 * entry on every replica. Older entries are read from SQLite as before.
 *
 * The log store keeps this a suffix of the log: appends extend or overwrite it, compaction cuts its
 * front, and anything else that changes the log (a snapshot install, a rolled-back transaction)
 * replaces it with an empty one.
 */
import { assert } from '../shared/assert.js';
import { entryBytes } from '../raft/log-reader.js';
import type { LogEntry } from '../raft/types.js';

export class RecentEntries {
  /**
   * The kept entries are `entries[start..]`; those before `start` were dropped and wait for the
   * array to be cut (dropping one round's entries at a time with splice moved the whole array).
   * Until then they stay referenced: never more of them than are kept.
   * Invariant: contiguous indexes; the last one is the log's last index (when any are kept).
   */
  private entries: LogEntry[] = [];
  private start = 0;
  /** entryBytes() of the kept entries. Invariant: <= bytesMax unless one entry is kept. */
  private bytes = 0;

  constructor(
    private readonly bytesMax: number,
    private readonly countMax: number,
  ) {
    assert(bytesMax >= 1 && countMax >= 1, 'RecentEntries needs room for an entry');
  }

  /** Appends contiguous entries that replace everything from entries[0].index on. */
  append(entries: readonly LogEntry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const head = this.head();
    // An overwrite reaching below what is kept, or a gap (not expected): keep only the new ones.
    if (head === undefined || first.index < head.index || first.index > head.index + this.count()) this.clear();
    else this.truncateFrom(first.index);
    for (const entry of entries) {
      const kept = ownedEntry(entry);
      this.entries.push(kept);
      this.bytes += entryBytes(kept);
    }
    this.trimFront();
  }

  /** Entries in [lo, hi), as LogReader.entries, or undefined when `lo` is not kept here. */
  slice(lo: number, hi: number, bytesMax: number): LogEntry[] | undefined {
    const head = this.head();
    if (head === undefined || lo < head.index || hi > head.index + this.count()) return undefined;
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let i = this.start + lo - head.index; i < this.start + hi - head.index; i++) {
      const entry = this.entries[i];
      assert(entry !== undefined, () => `Recent entry at position ${i} missing`);
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Drops entries at and after `index` (a conflicting suffix is being replaced). */
  truncateFrom(index: number): void {
    const head = this.head();
    if (head === undefined) return;
    const end = this.start + Math.min(this.count(), Math.max(0, index - head.index));
    this.bytes -= this.bytesOf(end, this.entries.length);
    this.entries.length = end;
  }

  /** Drops entries up to and including `index` (the log was compacted up to it). */
  compactTo(index: number): void {
    const head = this.head();
    if (head === undefined) return;
    this.dropFront(Math.min(this.count(), Math.max(0, index - head.index + 1)));
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
    this.bytes = 0;
  }

  private head(): LogEntry | undefined {
    return this.entries[this.start];
  }

  private count(): number {
    return this.entries.length - this.start;
  }

  /** Drops the oldest entries until both bounds hold, keeping at least the newest entry. */
  private trimFront(): void {
    let drop = 0;
    let bytes = this.bytes;
    while (this.count() - drop > 1 && (this.count() - drop > this.countMax || bytes > this.bytesMax)) {
      bytes -= this.bytesOf(this.start + drop, this.start + drop + 1);
      drop += 1;
    }
    this.dropFront(drop);
  }

  private dropFront(count: number): void {
    this.bytes -= this.bytesOf(this.start, this.start + count);
    this.start += count;
    // Cut the array once the dropped part is the larger half: each entry is moved O(1) times.
    if (this.start > this.count()) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  private bytesOf(from: number, to: number): number {
    let bytes = 0;
    for (let i = from; i < to; i++) {
      const entry = this.entries[i];
      assert(entry !== undefined, () => `Recent entry at position ${i} missing`);
      bytes += entryBytes(entry);
    }
    return bytes;
  }
}

/**
 * The entry with data in a buffer of its own. Entries received from a peer may be views into the
 * whole message buffer; keeping such a view would pin that buffer beyond the cache's byte bound.
 */
function ownedEntry(entry: LogEntry): LogEntry {
  const data = entry.data;
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return entry;
  return { ...entry, data: data.slice() };
}
