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
  /** Invariant: contiguous indexes; the last one is the log's last index (when not empty). */
  private entries: LogEntry[] = [];
  /** entryBytes() of everything in `entries`. Invariant: <= bytesMax unless it holds one entry. */
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
    const head = this.entries[0];
    // An overwrite reaching below what is kept, or a gap (not expected): keep only the new ones.
    if (head === undefined || first.index < head.index || first.index > head.index + this.entries.length) this.clear();
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
    const head = this.entries[0];
    if (head === undefined || lo < head.index || hi > head.index + this.entries.length) return undefined;
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let i = lo - head.index; i < hi - head.index; i++) {
      const entry = this.entries[i];
      assert(entry !== undefined, `Recent entry ${head.index + i} missing`);
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Drops entries at and after `index` (a conflicting suffix is being replaced). */
  truncateFrom(index: number): void {
    const head = this.entries[0];
    if (head === undefined) return;
    const keep = Math.min(this.entries.length, Math.max(0, index - head.index));
    this.bytes -= this.bytesOf(keep, this.entries.length);
    this.entries.length = keep;
  }

  /** Drops entries up to and including `index` (the log was compacted up to it). */
  compactTo(index: number): void {
    const head = this.entries[0];
    if (head === undefined) return;
    this.dropFront(Math.min(this.entries.length, Math.max(0, index - head.index + 1)));
  }

  clear(): void {
    this.entries = [];
    this.bytes = 0;
  }

  /** Drops the oldest entries until both bounds hold, keeping at least the newest entry. */
  private trimFront(): void {
    let drop = 0;
    let bytes = this.bytes;
    while (this.entries.length - drop > 1 && (this.entries.length - drop > this.countMax || bytes > this.bytesMax)) {
      bytes -= this.bytesOf(drop, drop + 1);
      drop += 1;
    }
    this.dropFront(drop);
  }

  private dropFront(count: number): void {
    if (count === 0) return;
    this.bytes -= this.bytesOf(0, count);
    this.entries.splice(0, count);
  }

  private bytesOf(start: number, end: number): number {
    let bytes = 0;
    for (let i = start; i < end; i++) {
      const entry = this.entries[i];
      assert(entry !== undefined, `Recent entry at position ${i} missing`);
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
