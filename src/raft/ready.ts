/**
 * What the core owes the outside world after some input, and the order the caller must honour:
 *  0. `earlyMessages` may be sent at once, before or while step 1 runs (send-order.ts says why);
 *  1. persist `hardState`, `entriesToPersist` (overwriting any suffix from their first index) and
 *     `snapshotChunk` in one durable write (synced only if `mustSync`, below);
 *  2. only then send `messages` (append and vote replies promise durability: thesis §3.8);
 *  3. if `snapshotChunk.done`, install that snapshot into the state machine;
 *  4. apply `entriesToApply` in order and serve `readStates` once applied >= their index;
 *  5. call `advance(ready)`.
 */
import type { NodeId, Term } from '../shared/ids.js';
import type { RaftMessage } from './messages.js';
import type { HardState, LogEntry, ReadState, SnapshotChunk, SoftState } from './types.js';

export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entriesToPersist: readonly LogEntry[];
  readonly snapshotChunk?: SnapshotChunk;
  /** Leader appends and heartbeats of a durable term: may leave before step 1 (thesis §10.2.1). */
  readonly earlyMessages: readonly RaftMessage[];
  /** Everything else: only after step 1. */
  readonly messages: readonly RaftMessage[];
  readonly entriesToApply: readonly LogEntry[];
  readonly readStates: readonly ReadState[];
  /** Reads this node accepted but can no longer confirm (lost leadership): answer them NOT_LEADER. */
  readonly readsDropped: readonly string[];
  /** Forwarded reads the leader refused at its bound of pending reads: answer them OVERLOADED. */
  readonly readsRefused: readonly string[];
}

export type CoreErrorCode = 'NOT_LEADER' | 'NO_LEADER' | 'OVERLOADED' | 'INVALID_ARGUMENT' | 'BUSY';

export interface CoreError {
  readonly code: CoreErrorCode;
  readonly message: string;
  /** Best-known leader for NOT_LEADER, or null. */
  readonly leader: NodeId | null;
  readonly term: Term;
}

export type CoreResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: CoreError };

export interface Proposed {
  readonly index: number;
  readonly term: number;
}

/**
 * Whether step 1 must be synced to disk before step 2 (etcd-raft's MustSync). Entries, snapshot
 * chunks, the term and the vote must: replies promise them (thesis §3.8). A write that only moves
 * the commit index need not. The commit index is a fact about the cluster, not a promise of this
 * node: the entries under it are durable on a majority, so a crash that loses it only makes this
 * node learn it again from the leader. The write must still be ordered before later writes (the
 * SQLite WAL is a prefix after a crash), so anything applied is never past the durable commit.
 */
export function mustSync(durable: HardState, hard: HardState | undefined, entryCount: number, hasSnapshotChunk: boolean): boolean {
  if (entryCount > 0 || hasSnapshotChunk) return true;
  return hard !== undefined && (hard.term !== durable.term || hard.vote !== durable.vote);
}
