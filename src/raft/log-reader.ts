/**
 * The core reads durable state through this synchronous interface (etcd-raft's `Storage`) and
 * writes only through `Ready`. SQLite implements it in src/storage; MemoryLogStore is the twin.
 */
import type { LogIndex, Term } from '../shared/ids.js';
import type { HardState, LogEntry, SnapshotMeta } from './types.js';

export interface LogReader {
  hardState(): HardState;
  /** The latest snapshot; index 0 / term 0 with the bootstrap membership when there is none. */
  snapshotMeta(): SnapshotMeta;
  /** Invariant: firstIndex() === snapshotMeta().index + 1. */
  firstIndex(): LogIndex;
  /** Invariant: lastIndex() >= snapshotMeta().index. */
  lastIndex(): LogIndex;
  /** Defined for snapshotMeta().index <= index <= lastIndex(); undefined otherwise (compacted or absent). */
  term(index: LogIndex): Term | undefined;
  /** Entries in [lo, hi), firstIndex() <= lo; stops early past bytesMax but returns at least one. */
  entries(lo: LogIndex, hi: LogIndex, bytesMax: number): LogEntry[];
  /**
   * Bytes of the snapshot at `index` from `offset`, at most bytesMax. Undefined if that snapshot has
   * been replaced by a newer one (the sender then starts over with the newer one).
   */
  snapshotChunk(index: LogIndex, offset: number, bytesMax: number): { data: Uint8Array; done: boolean } | undefined;
}

export function entryBytes(entry: LogEntry): number {
  return entry.data.byteLength + 24; // 24: index, term and type, as a rough wire/disk cost.
}
