/**
 * Data the core shares with its caller: log entries, durable state, membership, snapshots.
 * Everything here is plain data so it can be persisted, sent and compared in tests.
 */
import type { LogIndex, NodeId, Term } from '../shared/ids.js';

export type EntryType = 'normal' | 'confChange';

export interface LogEntry {
  readonly index: LogIndex;
  readonly term: Term;
  readonly type: EntryType;
  /** Opaque command for 'normal'; an encoded ConfChange for 'confChange'; empty for a leader's no-op. */
  readonly data: Uint8Array;
}

/** What must be on disk before any message that depends on it leaves (thesis §3.8 / Figure 3.1). */
export interface HardState {
  readonly term: Term;
  /** Candidate voted for in `term`, or null. */
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
}

/** Membership. Voters count for elections and commitment; learners only receive the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /**
   * Where members listen ("host:port"), keyed by node id, when known. Carried with membership so
   * that every replica, and a node caught up by snapshot, learns how to reach members added at
   * run time. The core never reads it. Absent when empty.
   */
  readonly addresses?: Readonly<Record<string, string>>;
}

export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode';

/** One-server-at-a-time change (thesis §4.1); see src/raft/conf-change.ts for the safety argument. */
export interface ConfChange {
  readonly type: ConfChangeType;
  readonly node: NodeId;
  /** The node's address, recorded in ConfState.addresses (kept if omitted on a promotion). */
  readonly address?: string;
}

export interface SnapshotMeta {
  readonly index: LogIndex;
  readonly term: Term;
  readonly conf: ConfState;
}

/** One piece of an InstallSnapshot transfer; `done` marks the last piece. */
export interface SnapshotChunk {
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

/** A linearizable read became safe: serve `requestId` once applied >= index (thesis §6.4). */
export interface ReadState {
  readonly requestId: string;
  readonly index: LogIndex;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the caller may want to observe (routing, status). */
export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly term: Term;
}
