/**
 * ReadIndex bookkeeping at a leader (thesis §6.4). A read records the commit index when it
 * arrives and a round number; it becomes safe once a majority of voters has answered a heartbeat
 * of that round or a later one, which proves no newer leader existed when the read began. Many
 * reads share one round, so a burst of reads costs one heartbeat.
 */
import type { LogIndex, NodeId } from '../shared/ids.js';
import { quorumMin } from './quorum.js';

export interface PendingRead {
  readonly requestId: string;
  readonly index: LogIndex;
  readonly round: number;
  /** The node that asked: this node, or a follower that forwarded the read. */
  readonly from: NodeId;
}

export class ReadIndexTracker {
  private round = 0;
  private roundSent = 0;
  /** In round order. Invariant: pending[i].round <= pending[i + 1].round. */
  private pending: PendingRead[] = [];
  private acked = new Map<NodeId, number>();

  get size(): number {
    return this.pending.length;
  }

  /** Registers a read; the caller must get a heartbeat of `currentRound()` out. */
  add(requestId: string, index: LogIndex, from: NodeId): void {
    if (this.round === this.roundSent) this.round++;
    this.pending.push({ requestId, index, round: this.round, from });
  }

  /**
   * The round a heartbeat broadcast should carry now (marked as sent), or null: no read waits, or
   * the last round is still unanswered by a majority. Reads arriving meanwhile wait and share the
   * next round, so under load a round carries many reads (etcd's read loop batches the same way)
   * instead of each turn's few reads costing a broadcast and a reply from every follower. If that
   * round's messages were lost, the next periodic heartbeat (takeHeartbeatRound) carries the reads.
   */
  takeRoundToSend(voters: readonly NodeId[], self: NodeId): number | null {
    if (this.round === this.roundSent || this.confirmedRound(voters, self) < this.roundSent) return null;
    this.roundSent = this.round;
    return this.round;
  }

  /** A round for a periodic heartbeat, carrying any waiting reads (it also renews the leader lease). */
  takeHeartbeatRound(): number {
    if (this.round === this.roundSent) this.round++;
    this.roundSent = this.round;
    return this.round;
  }

  /** The newest round a majority of `voters` has answered (this node counts for every round). */
  confirmedRound(voters: readonly NodeId[], self: NodeId): number {
    return quorumMin(voters, (id) => (id === self ? this.roundSent : this.acked.get(id) ?? 0));
  }

  ack(peer: NodeId, round: number): void {
    if (round > (this.acked.get(peer) ?? 0)) this.acked.set(peer, round);
  }

  /** Reads confirmed by a majority of `voters`; `self` counts as having acked every round sent. */
  release(voters: readonly NodeId[], self: NodeId): PendingRead[] {
    const confirmed = this.confirmedRound(voters, self);
    let count = 0;
    while (count < this.pending.length && (this.pending[count]?.round ?? Infinity) <= confirmed) count++;
    if (count === 0) return [];
    const released = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    return released;
  }

  /** Leadership lost: every waiting read must be answered elsewhere. */
  drain(): PendingRead[] {
    const all = this.pending;
    this.pending = [];
    this.acked.clear();
    return all;
  }
}
