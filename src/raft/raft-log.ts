/**
 * The log as the core sees it: durable entries behind a LogReader, plus entries (and at most one
 * received snapshot) not yet persisted. etcd-raft splits these the same way (`raftLog`/`unstable`).
 */
import { assert } from '../shared/assert.js';
import { logIndex, type LogIndex, type Term } from '../shared/ids.js';
import { entryBytes, type LogReader } from './log-reader.js';
import type { LogEntry, SnapshotMeta } from './types.js';

export class RaftLog {
  /** Entries from `unstableOffset` on, not yet durable. Invariant: unstable[i].index === unstableOffset + i. */
  private unstable: LogEntry[] = [];
  private unstableOffset: LogIndex;
  /** A received snapshot that is not yet durable; it supersedes the reader's snapshot. */
  private pendingSnapshot: SnapshotMeta | null = null;
  /** Invariant: applied <= applying <= committed <= lastIndex(). */
  committed: LogIndex;
  /** Highest index handed to the caller for applying (may not be applied yet). */
  applying: LogIndex;
  applied: LogIndex;

  constructor(
    private readonly storage: LogReader,
    applied: LogIndex,
  ) {
    this.unstableOffset = logIndex(storage.lastIndex() + 1);
    this.committed = storage.hardState().commit;
    this.applied = applied;
    this.applying = applied;
    assert(this.committed <= storage.lastIndex(), 'Durable commit index past the last durable entry');
    assert(applied <= this.committed || applied === storage.snapshotMeta().index, 'Applied past commit');
    if (this.committed < applied) this.committed = applied;
  }

  snapshotMeta(): SnapshotMeta {
    return this.pendingSnapshot ?? this.storage.snapshotMeta();
  }

  firstIndex(): LogIndex {
    return logIndex(this.snapshotMeta().index + 1);
  }

  lastIndex(): LogIndex {
    if (this.unstable.length > 0) return logIndex(this.unstableOffset + this.unstable.length - 1);
    if (this.pendingSnapshot) return this.pendingSnapshot.index;
    return logIndex(Math.min(this.storage.lastIndex(), this.unstableOffset - 1));
  }

  /** Index up to which entries are durable (what a leader may count as its own match). */
  persistedIndex(): LogIndex {
    // Until a received snapshot is durable, claim nothing: the stored log may be stale.
    if (this.pendingSnapshot) return logIndex(0);
    return logIndex(Math.min(this.storage.lastIndex(), this.unstableOffset - 1));
  }

  /** Term of the entry at `index`, or undefined if compacted or beyond the end. */
  term(index: LogIndex): Term | undefined {
    const snap = this.snapshotMeta();
    if (index === snap.index) return snap.term;
    if (index < snap.index || index > this.lastIndex()) return undefined;
    if (index >= this.unstableOffset) return this.unstable[index - this.unstableOffset]?.term;
    return this.storage.term(index);
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'Last entry has no term');
    return t;
  }

  matchTerm(index: LogIndex, term: Term): boolean {
    return this.term(index) === term;
  }

  /** The election restriction (thesis §3.6.1): is (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ours = this.lastTerm();
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), at most bytesMax of them but at least one. Throws if lo is compacted. */
  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): LogEntry[] {
    assert(lo >= this.firstIndex(), `entries(${lo}) is compacted (first ${this.firstIndex()})`);
    assert(hi <= this.lastIndex() + 1, `entries(.., ${hi}) beyond last ${this.lastIndex()}`);
    if (lo >= hi) return [];
    const out: LogEntry[] = [];
    let bytes = 0;
    if (lo < this.unstableOffset) {
      const stableHi = logIndex(Math.min(hi, this.unstableOffset));
      for (const entry of this.storage.entries(lo, stableHi, bytesMax)) {
        bytes += entryBytes(entry);
        out.push(entry);
      }
      if (out.length < stableHi - lo) return out; // Storage stopped at the byte bound.
    }
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const entry = this.unstable[i - this.unstableOffset];
      assert(entry !== undefined, `Unstable entry ${i} missing`);
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** Appends entries at their own indexes, discarding any conflicting suffix first. */
  append(entries: readonly LogEntry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.committed, `Cannot overwrite committed entry ${first.index} (commit ${this.committed})`);
    assert(first.index <= this.lastIndex() + 1, `Append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    if (first.index >= this.unstableOffset) {
      this.unstable.length = first.index - this.unstableOffset;
    } else {
      // Overwrites durable entries: the next Ready persists from here, replacing the stored suffix.
      this.unstableOffset = first.index;
      this.unstable = [];
    }
    this.unstable.push(...entries);
  }

  /** Index of the first entry that is new or conflicts with ours; 0 if all are already present. */
  findConflict(entries: readonly LogEntry[]): LogIndex {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return logIndex(0);
  }

  /** Largest index <= `index` whose term is <= `term` (the reject hint of etcd-raft). */
  findConflictByTerm(index: LogIndex, term: Term): LogIndex {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(logIndex(i));
      if (t === undefined || t <= term) break;
    }
    return logIndex(i);
  }

  commitTo(index: LogIndex): boolean {
    if (index <= this.committed) return false;
    assert(index <= this.lastIndex(), `Commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  unstableEntries(): readonly LogEntry[] {
    return this.unstable;
  }

  /** Called once entries up to (index, term) are durable. A no-op if they were overwritten since. */
  stableTo(index: LogIndex, term: Term): void {
    if (index < this.unstableOffset) return;
    const entry = this.unstable[index - this.unstableOffset];
    if (entry === undefined || entry.term !== term) return;
    this.unstable = this.unstable.slice(index - this.unstableOffset + 1);
    this.unstableOffset = logIndex(index + 1);
  }

  /** Committed entries not yet handed out for applying, at most bytesMax (at least one). */
  nextEntriesToApply(bytesMax: number): LogEntry[] {
    if (this.applying >= this.committed) return [];
    return this.entries(logIndex(this.applying + 1), logIndex(this.committed + 1), bytesMax);
  }

  /** Replaces the log with a received snapshot (not yet durable). */
  restore(meta: SnapshotMeta): void {
    assert(meta.index > this.committed, `Snapshot ${meta.index} not past commit ${this.committed}`);
    this.pendingSnapshot = meta;
    this.unstable = [];
    this.unstableOffset = logIndex(meta.index + 1);
    this.committed = meta.index;
    this.applying = meta.index;
  }

  /** The received snapshot is durable and installed: the reader now reports it. */
  snapshotInstalled(meta: SnapshotMeta): void {
    if (this.pendingSnapshot?.index === meta.index) this.pendingSnapshot = null;
    if (this.applied < meta.index) this.applied = meta.index;
  }

  appliedTo(index: LogIndex): void {
    assert(index <= this.committed, `Applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }
}
