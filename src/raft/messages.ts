/**
 * Peer messages, a union keyed by `type` (Raft thesis Figure 3.1 plus the extensions of chapters
 * 4, 6 and 9: PreVote, TimeoutNow, ReadIndex, chunked InstallSnapshot).
 */
import type { LogIndex, NodeId, Term } from '../shared/ids.js';
import type { LogEntry, SnapshotMeta } from './types.js';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  /** Sender's term; for a pre-vote request, the term the sender would campaign in. */
  readonly term: Term;
}

export interface RequestVote extends Envelope {
  readonly type: 'requestVote';
  readonly lastLogIndex: LogIndex;
  readonly lastLogTerm: Term;
  readonly preVote: boolean;
  /** Set when campaigning because of TimeoutNow: voters then ignore their leader lease. */
  readonly transfer: boolean;
}

export interface RequestVoteReply extends Envelope {
  readonly type: 'requestVoteReply';
  readonly preVote: boolean;
  readonly granted: boolean;
}

export interface AppendEntries extends Envelope {
  readonly type: 'appendEntries';
  readonly prevLogIndex: LogIndex;
  readonly prevLogTerm: Term;
  readonly entries: readonly LogEntry[];
  readonly commit: LogIndex;
}

export interface AppendEntriesReply extends Envelope {
  readonly type: 'appendEntriesReply';
  readonly success: boolean;
  /** On success: the last index now known to match the leader. On reject: the rejected prevLogIndex. */
  readonly index: LogIndex;
  /** On reject: where the leader should probe next (a conflict hint, thesis §5.3 optimisation). */
  readonly hintIndex: LogIndex;
  readonly hintTerm: Term;
}

export interface Heartbeat extends Envelope {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  /** ReadIndex round this heartbeat confirms (0: none). */
  readonly readSeq: number;
  /** The group is idle and fully replicated: stop expecting heartbeats (see quiescence.ts). */
  readonly quiesce: boolean;
}

export interface HeartbeatReply extends Envelope {
  readonly type: 'heartbeatReply';
  readonly readSeq: number;
}

export interface InstallSnapshot extends Envelope {
  readonly type: 'installSnapshot';
  readonly meta: SnapshotMeta;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export interface InstallSnapshotReply extends Envelope {
  readonly type: 'installSnapshotReply';
  readonly snapshotIndex: LogIndex;
  /** Bytes of that snapshot the follower holds durably; the leader sends from here. */
  readonly offset: number;
  readonly done: boolean;
  /** False if the follower refused the chunk (out of order); the leader restarts from `offset`. */
  readonly accepted: boolean;
}

export interface TimeoutNow extends Envelope {
  readonly type: 'timeoutNow';
}

export interface ReadIndexRequest extends Envelope {
  readonly type: 'readIndexRequest';
  readonly requestId: string;
}

export interface ReadIndexReply extends Envelope {
  readonly type: 'readIndexReply';
  readonly requestId: string;
  /** 0 with `rejected` when the leader could not serve it (not leader any more, or no commit yet). */
  readonly index: LogIndex;
  readonly rejected: boolean;
  /** With `rejected`: the leader still leads, but its pending reads are at their bound (OVERLOADED). */
  readonly overloaded: boolean;
}

export type RaftMessage =
  | RequestVote
  | RequestVoteReply
  | AppendEntries
  | AppendEntriesReply
  | Heartbeat
  | HeartbeatReply
  | InstallSnapshot
  | InstallSnapshotReply
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexReply;

export type RaftMessageType = RaftMessage['type'];
