/**
 * Core configuration. Relationships between the numbers are asserted here, once, at construction
 * (etcd-raft's Config.validate): a bad config is a programmer error, not an operating one.
 */
import { assert } from '../shared/assert.js';
import type { LogIndex, NodeId } from '../shared/ids.js';
import type { Rng } from '../shared/rng.js';
import type { LogReader } from './log-reader.js';
import type { CoreLogger } from './logger.js';
import type { ConfState } from './types.js';

export interface RaftConfig {
  readonly id: NodeId;
  readonly storage: LogReader;
  /** Highest index the state machine has durably applied (0 for a new node). */
  readonly applied: LogIndex;
  /** Membership as of `applied` (the state machine persists it with the data). */
  readonly confState: ConfState;
  /** Election timeout is drawn uniformly from [electionTicks, 2 * electionTicks) (thesis §3.4). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly rng: Rng;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /**
   * Allow leaseRead() (needs checkQuorum). Every node of the group must agree: it also makes a
   * node that just started refuse votes for one election timeout, since it cannot know whether it
   * acknowledged a lease before it went down.
   */
  readonly leaseReads: boolean;
  /** Let idle groups stop heartbeating (quiescence.ts); the runtime must then call unquiesce() on lost contact. */
  readonly quiesce: boolean;
  /** Appends in flight to one follower in the replicate state (pipelining bound). */
  readonly inflightMessagesMax: number;
  /** Payload bytes in one AppendEntries. */
  readonly appendBytesMax: number;
  /** Payload bytes in one InstallSnapshot chunk. */
  readonly snapshotChunkBytesMax: number;
  /** Bytes of proposed but uncommitted entries a leader accepts before answering OVERLOADED. */
  readonly uncommittedBytesMax: number;
  /** Linearizable reads waiting for confirmation at a leader before answering OVERLOADED. */
  readonly pendingReadsMax: number;
  /**
   * Grant no vote (nor pre-vote) and never campaign while the log ends below this index. A node whose earlier replica
   * of the group was deleted sets it to what the group had applied then: until its new replica's
   * log reaches that far it cannot tell a stale candidate from a current one, and its vote would
   * count for a configuration that still names the old replica (0: no floor).
   */
  readonly voteFloor?: number;
  readonly logger: CoreLogger;
}

export const defaultTuning = {
  electionTicks: 10,
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  leaseReads: false,
  quiesce: false,
  inflightMessagesMax: 256,
  appendBytesMax: 1024 * 1024,
  snapshotChunkBytesMax: 512 * 1024,
  uncommittedBytesMax: 64 * 1024 * 1024,
  pendingReadsMax: 10_000,
} as const;

export function validateConfig(config: RaftConfig): void {
  assert(config.heartbeatTicks >= 1, 'heartbeatTicks must be >= 1');
  assert(config.electionTicks > config.heartbeatTicks, 'electionTicks must exceed heartbeatTicks');
  assert(config.inflightMessagesMax >= 1, 'inflightMessagesMax must be >= 1');
  assert(config.appendBytesMax >= 1, 'appendBytesMax must be >= 1');
  assert(config.snapshotChunkBytesMax >= 1, 'snapshotChunkBytesMax must be >= 1');
  assert(config.uncommittedBytesMax >= 1, 'uncommittedBytesMax must be >= 1');
  assert(config.pendingReadsMax >= 1, 'pendingReadsMax must be >= 1');
  assert(!config.leaseReads || config.checkQuorum, 'leaseReads needs checkQuorum');
  const snapshot = config.storage.snapshotMeta();
  assert(config.applied >= snapshot.index, 'applied must not be behind the snapshot');
  assert(config.applied <= config.storage.hardState().commit || config.applied === snapshot.index,
    'applied must not be ahead of the durable commit index');
}
