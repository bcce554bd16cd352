/**
 * Goal: the durable half of a simulated node, the part that survives a crash. Method: a
 * MemoryLogStore (hard state, log, snapshot), the snapshot being received chunk by chunk, and the
 * KV state machine (applied in the same step as the write it follows, so a crash never splits
 * them). persist() performs step 1 of a Ready in one go; SimNode decides when (after a random
 * disk delay) and drops the whole write if the node crashes first; a crash also loses the commit
 * index of writes that need no sync (loseUnsynced).
 */
import { assert } from '../../src/shared/assert.js';
import { logIndex, type LogIndex } from '../../src/shared/ids.js';
import type { InitialState } from '../../src/raft/bootstrap.js';
import { mustSync, type Ready } from '../../src/raft/ready.js';
import type { ConfState, LogEntry, SnapshotChunk, SnapshotMeta } from '../../src/raft/types.js';
import { MemoryLogStore } from '../../src/storage/memory-log-store.js';
import { SafetyViolation } from './checkers/violation.js';
import { KvStateMachine } from './kv-state-machine.js';

export interface ReceivedSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

export interface PersistOutcome {
  /** Stored entries this write overwrote or discarded (for the committed-entries checker). */
  readonly removed: readonly LogEntry[];
  /** Set when this write completed a snapshot: it must be installed into the state machine. */
  readonly snapshot: ReceivedSnapshot | undefined;
  /** The durable commit index and last index before this write. */
  readonly commitBefore: LogIndex;
  readonly lastIndexBefore: LogIndex;
  /** The stored term at the snapshot's index before this write (reports). */
  readonly termAtSnapshotBefore: number | undefined;
  /**
   * Lowest index where this write replaced an entry by one of another term (or installed a snapshot
   * the log did not match): the only legal reason to drop entries (thesis Figure 3.1, Figure 5.3).
   */
  readonly conflictIndex: LogIndex | undefined;
}

/**
 * What SimNode and the checkers need from a replicated state machine. KvStateMachine is the
 * single-group one; test/sim/multi/group-machine.ts adds ring descriptors and splits.
 */
export interface ReplicatedMachine {
  readonly applied: LogIndex;
  readonly conf: ConfState;
  /** Equal digests at one applied index mean equal states. */
  readonly digest: string;
  apply(entry: LogEntry): void;
  serialize(): Uint8Array;
  restore(meta: SnapshotMeta, data: Uint8Array): void;
}

interface PartialSnapshot {
  readonly meta: SnapshotMeta;
  readonly chunks: Uint8Array[];
  bytes: number;
}

export class SimDisk<M extends ReplicatedMachine = KvStateMachine> {
  readonly store: MemoryLogStore;
  readonly machine: M;
  private partial: PartialSnapshot | null = null;
  /** The commit index as of the last synced write; later commit-only writes are not synced. */
  private syncedCommit: LogIndex;

  /** `machine` defaults to a KvStateMachine at the initial snapshot (the single-group simulator). */
  constructor(initial: InitialState, machine?: M) {
    this.store = new MemoryLogStore(initial);
    this.machine = machine ?? (new KvStateMachine(initial.snapshot) as ReplicatedMachine as M);
    this.syncedCommit = this.store.hardState().commit;
  }

  /**
   * A crash taken as a power loss: writes that were not synced (they only moved the commit index,
   * src/raft/ready.ts mustSync) are lost, except that the state machine's writes came after them
   * in the same log-structured file, so the commit never drops below what was applied.
   */
  loseUnsynced(): void {
    const hard = this.store.hardState();
    const commit = Math.max(this.syncedCommit, this.machine.applied);
    if (commit < hard.commit) this.store.setHardState({ ...hard, commit: logIndex(commit) });
  }

  persist(ready: Ready): PersistOutcome {
    const synced = mustSync(this.store.hardState(), ready.hardState, ready.entriesToPersist.length, ready.snapshotChunk !== undefined);
    const outcome = this.write(ready);
    if (synced) this.syncedCommit = this.store.hardState().commit;
    return outcome;
  }

  private write(ready: Ready): PersistOutcome {
    const commitBefore = this.store.hardState().commit;
    const lastIndexBefore = this.store.lastIndex();
    const termAtSnapshotBefore = ready.snapshotChunk === undefined ? undefined : this.store.term(ready.snapshotChunk.meta.index);
    if (ready.hardState !== undefined) this.store.setHardState(ready.hardState);
    const snapshot = ready.snapshotChunk === undefined ? undefined : this.receiveChunk(ready.snapshotChunk);
    const removed: LogEntry[] = [];
    if (snapshot !== undefined) {
      removed.push(...this.storedFrom(this.store.firstIndex()));
      this.store.installSnapshot(snapshot.meta, snapshot.data);
    }
    const first = ready.entriesToPersist[0];
    if (first !== undefined) {
      removed.push(...this.storedFrom(first.index));
      this.store.append(ready.entriesToPersist);
    }
    const conflictIndex = snapshot !== undefined && termAtSnapshotBefore !== snapshot.meta.term
      ? snapshot.meta.index
      : removed.find((old) => old.index > this.store.snapshotMeta().index && this.store.term(old.index) !== undefined && this.store.term(old.index) !== old.term)?.index;
    return { removed, snapshot, commitBefore, lastIndexBefore, termAtSnapshotBefore, conflictIndex };
  }

  /** Snapshots the state machine at its applied index once the log past the last snapshot is long enough. */
  compactIfDue(everyEntries: number): SnapshotMeta | undefined {
    const applied = this.machine.applied;
    if (applied - this.store.snapshotMeta().index < everyEntries || applied > this.store.lastIndex()) return undefined;
    const appliedTerm = this.store.term(applied);
    if (appliedTerm === undefined) return undefined;
    const meta: SnapshotMeta = { index: applied, term: appliedTerm, conf: this.machine.conf };
    this.store.compact(meta, this.machine.serialize());
    return meta;
  }

  private storedFrom(index: LogIndex): LogEntry[] {
    const lo = Math.max(index, this.store.firstIndex());
    const last = this.store.lastIndex();
    if (lo > last) return [];
    return this.store.entries(logIndex(lo), logIndex(last + 1), Number.MAX_SAFE_INTEGER);
  }

  /** Chunks must arrive in order: offset 0 starts a transfer, every other chunk continues one. */
  private receiveChunk(chunk: SnapshotChunk): ReceivedSnapshot | undefined {
    if (chunk.offset === 0) this.partial = { meta: chunk.meta, chunks: [], bytes: 0 };
    const partial = this.partial;
    const continues = partial !== null && partial.meta.index === chunk.meta.index &&
      partial.meta.term === chunk.meta.term && partial.bytes === chunk.offset;
    if (!continues) {
      throw new SafetyViolation('snapshot', `Snapshot ${chunk.meta.index} chunk at offset ${chunk.offset} does not follow the ${partial?.bytes ?? 0} bytes held for snapshot ${partial?.meta.index ?? 'none'}`);
    }
    partial.chunks.push(chunk.data.slice());
    partial.bytes += chunk.data.byteLength;
    if (!chunk.done) return undefined;
    this.partial = null;
    const data = new Uint8Array(partial.bytes);
    let offset = 0;
    for (const piece of partial.chunks) {
      data.set(piece, offset);
      offset += piece.byteLength;
    }
    assert(offset === partial.bytes, 'Snapshot assembly lost bytes');
    return { meta: partial.meta, data };
  }
}
