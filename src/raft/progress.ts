/**
 * What a leader knows about one follower's log (thesis §3.5, etcd-raft's tracker.Progress).
 *  - probe: we do not know where the logs match; one append at a time until one succeeds.
 *  - replicate: logs match up to `match`; appends are pipelined, at most inflightMax in flight.
 *  - snapshot: the entries it needs are compacted; a chunked InstallSnapshot is under way.
 */
import { logIndex, type LogIndex } from '../shared/ids.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface SnapshotTransfer {
  readonly index: LogIndex;
  /** Bytes the follower acknowledged holding durably. */
  offset: number;
  /**
   * Leader tick at which the chunk in flight was sent, or null once it was answered. A chunk
   * unanswered for an election timeout is resent (it or its reply was lost); resending sooner
   * would re-read and re-send up to a chunk of file per heartbeat to a follower that is merely
   * slow to persist it.
   */
  sentAtTick: number | null;
}

export class Progress {
  state: ProgressState = 'probe';
  /** Invariant: match < next. */
  match: LogIndex = logIndex(0);
  next: LogIndex;
  /** In probe: an append is out and unanswered, so send no more until a reply or heartbeat. */
  probeSent = false;
  /** The leader tick of the last heartbeat reply that could resend to this follower (replication.ts). */
  heartbeatResendTick = -1;
  /** Last index of each append in flight, in send order (replicate state). */
  private inflights: LogIndex[] = [];
  snapshot: SnapshotTransfer | null = null;
  /** Heard from within the current election timeout (CheckQuorum). */
  recentActive = false;

  constructor(
    next: LogIndex,
    public isLearner: boolean,
    private readonly inflightMax: number,
  ) {
    this.next = next;
  }

  becomeProbe(): void {
    const snapshotIndex = this.snapshot?.index ?? 0;
    this.state = 'probe';
    this.next = logIndex(Math.max(this.match + 1, snapshotIndex + 1));
    this.reset();
  }

  /**
   * The follower says its log ends at `lastIndex`, below what it acknowledged: it lost entries,
   * which a durable replica never does, but a replica deleted and recreated under the same id does
   * (replica-gc.ts). Probe it again from where its log ends; the commit index never moves back.
   */
  lostLog(lastIndex: LogIndex): void {
    this.match = lastIndex;
    this.becomeProbe();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = logIndex(this.match + 1);
    this.reset();
  }

  becomeSnapshot(index: LogIndex): void {
    this.state = 'snapshot';
    this.reset();
    this.snapshot = { index, offset: 0, sentAtTick: null };
  }

  private reset(): void {
    this.probeSent = false;
    this.inflights = [];
    if (this.state !== 'snapshot') this.snapshot = null;
  }

  /** A successful append reply up to `index`; false if it tells us nothing new. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    if (this.next < index + 1) this.next = logIndex(index + 1);
    return updated;
  }

  /**
   * A rejected append at `rejected`, with the follower's hint already mapped to `probeFrom`
   * (where our logs may match). False if the rejection is stale.
   */
  maybeDecrTo(rejected: LogIndex, probeFrom: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = logIndex(this.match + 1);
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = logIndex(Math.max(Math.min(rejected, probeFrom + 1), this.match + 1));
    this.probeSent = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.length >= this.inflightMax;
      case 'snapshot':
        return true;
    }
  }

  /** Records an append whose last entry is `lastIndex` (or an empty probe). */
  sentEntries(lastIndex: LogIndex, entryCount: number): void {
    if (this.state === 'replicate' && entryCount > 0) {
      this.inflights.push(lastIndex);
      this.next = logIndex(lastIndex + 1);
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  freeInflightsUpTo(index: LogIndex): void {
    let drop = 0;
    while (drop < this.inflights.length && (this.inflights[drop] ?? Infinity) <= index) drop++;
    if (drop > 0) this.inflights = this.inflights.slice(drop);
  }

  /** A heartbeat reply proves the follower is alive: let one more append through. */
  freeOneInflight(): void {
    if (this.inflights.length >= this.inflightMax) this.inflights = this.inflights.slice(1);
  }
}
