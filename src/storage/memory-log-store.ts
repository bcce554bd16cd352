/**
 * In-memory twin of the SQLite log store, for unit tests, scenarios and the simulator. Same
 * contract as src/raft/log-reader.ts plus the write half the driver uses after a Ready.
 */
import { assert } from '../shared/assert.js';
import { logIndex, type LogIndex, type Term } from '../shared/ids.js';
import { entryBytes, type LogReader } from '../raft/log-reader.js';
import type { InitialState } from '../raft/bootstrap.js';
import type { HardState, LogEntry, SnapshotMeta } from '../raft/types.js';

export class MemoryLogStore implements LogReader {
  private hard: HardState;
  private snapshot: SnapshotMeta;
  private snapshotData: Uint8Array = new Uint8Array(0);
  /** Invariant: log[i].index === snapshot.index + 1 + i. */
  private log: LogEntry[] = [];

  /** Use founderState() or joinerState() from src/raft/bootstrap.ts; the state machine starts at initial.snapshot.index. */
  constructor(initial: InitialState) {
    this.snapshot = initial.snapshot;
    this.hard = initial.hardState;
  }

  hardState(): HardState {
    return this.hard;
  }
  snapshotMeta(): SnapshotMeta {
    return this.snapshot;
  }
  firstIndex(): LogIndex {
    return logIndex(this.snapshot.index + 1);
  }
  lastIndex(): LogIndex {
    return logIndex(this.snapshot.index + this.log.length);
  }

  term(index: LogIndex): Term | undefined {
    if (index === this.snapshot.index) return this.snapshot.term;
    return this.log[index - this.snapshot.index - 1]?.term;
  }

  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): LogEntry[] {
    assert(lo >= this.firstIndex(), `entries(${lo}) below firstIndex ${this.firstIndex()}`);
    assert(hi <= this.lastIndex() + 1, `entries(.., ${hi}) past lastIndex ${this.lastIndex()}`);
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const entry = this.log[i - this.snapshot.index - 1];
      assert(entry !== undefined, `Missing entry ${i}`);
      bytes += entryBytes(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  snapshotChunk(index: LogIndex, offset: number, bytesMax: number): { data: Uint8Array; done: boolean } | undefined {
    if (index !== this.snapshot.index) return undefined;
    const data = this.snapshotData.subarray(offset, offset + bytesMax);
    return { data, done: offset + data.byteLength >= this.snapshotData.byteLength };
  }

  setHardState(hard: HardState): void {
    this.hard = hard;
  }

  /** Appends entries, first discarding any stored suffix from entries[0].index on. */
  append(entries: readonly LogEntry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.snapshot.index, `append(${first.index}) at or below snapshot ${this.snapshot.index}`);
    assert(first.index <= this.lastIndex() + 1, `append(${first.index}) leaves a gap after ${this.lastIndex()}`);
    this.log.length = first.index - this.snapshot.index - 1;
    this.log.push(...entries);
  }

  /** Installs a received snapshot: the log restarts after it (etcd-raft's ApplySnapshot). */
  installSnapshot(meta: SnapshotMeta, data: Uint8Array): void {
    this.snapshot = meta;
    this.snapshotData = data;
    this.log = [];
  }

  /** Takes a snapshot of applied state at `meta.index` and drops the log up to it. */
  compact(meta: SnapshotMeta, data: Uint8Array): void {
    assert(meta.index >= this.snapshot.index, 'compact() must move forward');
    assert(meta.index <= this.lastIndex(), 'compact() past the last entry');
    assert(this.term(meta.index) === meta.term, 'compact() term mismatch');
    this.log = this.log.slice(meta.index - this.snapshot.index);
    this.snapshot = meta;
    this.snapshotData = data;
  }
}
