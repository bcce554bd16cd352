/**
 * One Raft group on this node: its core, its storage, and the client requests waiting on it.
 * The NodeHost drains every group's Ready together (one SQLite transaction for all); this class
 * holds what is specific to one group: applying entries, answering waiters, snapshots.
 */
import { KvError } from '../shared/errors.js';
import { groupId, type GroupId, type NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { RaftNode } from '../raft/node.js';
import type { CoreError, Ready } from '../raft/ready.js';
import type { ConfState } from '../raft/types.js';
import type { AppliedEntry } from '../storage/kv-types.js';
import type { GroupStorage } from '../storage/node-storage.js';
import type { PendingBudgets } from './pending-budget.js';
import { ProposalTracker } from './proposal-tracker.js';
import { ReadWaiter } from './read-waiter.js';

export interface GroupDriverOptions {
  readonly group: GroupId;
  readonly core: RaftNode;
  readonly storage: GroupStorage;
  /** The node's bounds on waiting reads and writes, shared by all its groups (NodeHost.pending). */
  readonly pending: PendingBudgets;
  readonly addressOf: (node: NodeId) => string | undefined;
  readonly logger: Logger;
  /** Called after the applied membership changed (a conf change or an installed snapshot). */
  readonly onMembership?: (conf: ConfState) => void;
  /** Called, during the apply, when a split entry wrote a new group's state on this node. */
  readonly onSplitBorn?: (child: GroupId) => void;
}

/**
 * Whether this replica's state may be served (src/server/consistency-checker.ts): `unverified`
 * after a restart until its hash first matches its peers' (no linearizable reads, no writes;
 * serializable reads promise no freshness and stay), `corrupt` once it did not (nothing at all).
 */
export type ReplicaHealth = { readonly state: 'ok' } | { readonly state: 'unverified' } | { readonly state: 'corrupt'; readonly reason: string };

/** What a request wants of the replica: serializable reads are the only use an unverified one allows. */
export type ReplicaUse = 'write' | 'linearizable' | 'serializable';

export class GroupDriver {
  readonly group: GroupId;
  readonly core: RaftNode;
  readonly storage: GroupStorage;
  readonly proposals: ProposalTracker<AppliedEntry>;
  readonly reads: ReadWaiter;
  /** A received snapshot is being installed: nothing is persisted or applied for this group. */
  installing = false;
  /** A snapshot of this group is being produced for compaction. */
  producing = false;
  health: ReplicaHealth = { state: 'ok' };
  private readonly addressOf: (node: NodeId) => string | undefined;
  private readonly onMembership: ((conf: ConfState) => void) | undefined;
  private readonly onSplitBorn: ((child: GroupId) => void) | undefined;
  readonly logger: Logger;

  constructor(options: GroupDriverOptions) {
    this.group = options.group;
    this.core = options.core;
    this.storage = options.storage;
    this.proposals = new ProposalTracker(options.pending.proposals);
    this.reads = new ReadWaiter(`g${options.group}`, options.pending.reads);
    this.addressOf = options.addressOf;
    this.onMembership = options.onMembership;
    this.onSplitBorn = options.onSplitBorn;
    this.logger = options.logger;
  }

  /** Ready steps 4 and 5 for this group: apply, answer waiters, advance the core. */
  applyAndAdvance(ready: Ready): void {
    if (ready.entriesToApply.length > 0) {
      const results = this.storage.kv.apply(ready.entriesToApply);
      for (const [i, applied] of results.entries()) {
        const entry = ready.entriesToApply[i];
        if (entry === undefined) continue;
        if (applied.result.type === 'split' && applied.result.born) this.onSplitBorn?.(groupId(applied.result.child));
        this.proposals.applied(entry.index, entry.term, applied, () =>
          new KvError('NOT_LEADER', 'Cannot complete write: leadership changed and the entry was replaced before it committed', this.leaderDetails()));
      }
    }
    if (ready.snapshotChunk?.done === true) {
      this.proposals.skippedTo(ready.snapshotChunk.meta.index, () =>
        new KvError('TIMEOUT', 'Cannot tell whether the write applied: this node was caught up by a snapshot'));
    }
    const applied = this.storage.kv.appliedIndex();
    for (const read of ready.readStates) this.reads.confirmed(read.requestId, read.index, applied);
    for (const id of ready.readsDropped) {
      this.reads.dropped(id, () => this.errorFromCore({ code: 'NOT_LEADER', message: 'Cannot confirm the read: leadership changed', leader: this.core.status().leader, term: this.core.status().term }));
    }
    for (const id of ready.readsRefused) {
      this.reads.dropped(id, () => new KvError('OVERLOADED', 'Cannot confirm the read: the leader has its bound of reads waiting for confirmation (pendingReadsMax); retry later'));
    }
    this.reads.appliedTo(applied);
    this.core.advance(ready);
    const membershipChanged = ready.snapshotChunk?.done === true || ready.entriesToApply.some((e) => e.type === 'confChange');
    if (membershipChanged) this.onMembership?.(this.storage.kv.confState());
  }

  /** Throws unless this replica may serve `use` now (see ReplicaHealth). */
  checkServing(use: ReplicaUse): void {
    const health = this.health;
    if (health.state === 'corrupt') {
      throw new KvError('CORRUPT', `Cannot serve group ${this.group} on this node: its replica is corrupt (${health.reason}); use another replica`, { group: this.group });
    }
    if (health.state === 'unverified' && use !== 'serializable') {
      throw new KvError('NO_LEADER', `Cannot serve group ${this.group} on this node yet: its replica has not passed the consistency check since it started`, { group: this.group });
    }
  }

  /** Maps a core refusal onto the error catalogue, with the leader hint the SDK follows. */
  errorFromCore(error: CoreError): KvError {
    switch (error.code) {
      case 'NOT_LEADER':
        return new KvError('NOT_LEADER', error.message, this.leaderDetails());
      case 'NO_LEADER':
        return new KvError('NO_LEADER', error.message, { group: this.group });
      case 'OVERLOADED':
      case 'BUSY':
        return new KvError('OVERLOADED', error.message);
      case 'INVALID_ARGUMENT':
        return new KvError('INVALID_ARGUMENT', error.message, { field: 'request' });
    }
  }

  leaderDetails(): { group: number; term: number; leaderId?: number; leaderAddr?: string } {
    const { leader, term } = this.core.status();
    const address = leader === null ? undefined : this.addressOf(leader);
    return {
      group: this.group,
      term,
      ...(leader === null ? {} : { leaderId: leader }),
      ...(address === undefined ? {} : { leaderAddr: address }),
    };
  }

  /** Shutting down or crashed: every waiter's outcome is unknown to this node. */
  failAll(): void {
    const unknown = (): KvError => new KvError('TIMEOUT', 'Cannot tell whether the request completed: the node is shutting down');
    this.proposals.rejectAll(unknown);
    this.reads.rejectAll(unknown);
  }
}
