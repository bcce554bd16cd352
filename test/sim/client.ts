/**
 * Goal: the clients of the simulated cluster, with the acknowledgement rule of the core's API.
 * Method: a proposal is pending at (node, index, term) until that node applies the index: the same
 * term acknowledges it, another term fails it. A crash, a snapshot that jumps over it or the client
 * timeout make its outcome unknown. Reads are registered with the linearizability checker when
 * issued and checked when served. Both kinds are bounded in number.
 */
import type { LogIndex, NodeId } from '../../src/shared/ids.js';
import type { CoreResult, Proposed } from '../../src/raft/ready.js';
import type { LogEntry } from '../../src/raft/types.js';
import type { LinearizableReads } from './checkers/linearizable-reads.js';
import type { SimNode } from './sim-node.js';
import type { SimBounds } from './swarm.js';
import type { Trace } from './trace.js';

export type Outcome = 'acked' | 'failed' | 'unknown';

interface PendingProposal {
  readonly term: number;
  readonly issuedMs: number;
  readonly label: string;
  readonly done: ((outcome: Outcome, index: number) => void) | undefined;
}

interface PendingRead {
  readonly node: NodeId;
  readonly issuedMs: number;
}

export interface ClientStats {
  proposed: number;
  acked: number;
  failed: number;
  unknown: number;
  readsIssued: number;
  readsServed: number;
  readsDropped: number;
  leaseReads: number;
}

export class ClientTracker {
  /** node -> index -> proposal waiting to be applied there. */
  private readonly proposals = new Map<NodeId, Map<number, PendingProposal>>();
  private proposalCount = 0;
  private readonly reads = new Map<string, PendingRead>();
  private readSeq = 0;
  ackedIndexMax = 0;
  readonly stats: ClientStats = { proposed: 0, acked: 0, failed: 0, unknown: 0, readsIssued: 0, readsServed: 0, readsDropped: 0, leaseReads: 0 };

  constructor(
    private readonly bounds: SimBounds,
    private readonly linearizable: LinearizableReads,
    private readonly trace: Trace,
    private readonly clock: () => number,
  ) {}

  get canPropose(): boolean {
    return this.proposalCount < this.bounds.proposalsInFlightMax;
  }

  get canRead(): boolean {
    return this.reads.size < this.bounds.readsInFlightMax;
  }

  /** Submits through `node`, which the caller checked is up; done() hears the outcome. */
  submit(node: SimNode, label: string, call: () => CoreResult<Proposed>, done?: (outcome: Outcome, index: number) => void): CoreResult<Proposed> {
    const result = call();
    if (!result.ok) {
      this.trace.log(`client ${label} via n${node.id}: ${result.error.code}`);
      return result;
    }
    const { index, term } = result.value;
    const atNode = this.proposals.get(node.id) ?? new Map<number, PendingProposal>();
    this.proposals.set(node.id, atNode);
    const replaced = atNode.get(index);
    if (replaced !== undefined) this.settle(node.id, index, replaced, 'failed'); // Its entry was overwritten.
    atNode.set(index, { term, issuedMs: this.clock(), label, done });
    this.proposalCount++;
    this.stats.proposed++;
    this.trace.log(`client ${label} via n${node.id}: proposed at ${index}/t${term}`);
    return result;
  }

  read(node: SimNode): CoreResult<void> {
    const requestId = `r${++this.readSeq}`;
    const result = node.raft().readIndex(requestId);
    if (!result.ok) {
      this.trace.log(`client read ${requestId} via n${node.id}: ${result.error.code}`);
      return result;
    }
    this.reads.set(requestId, { node: node.id, issuedMs: this.clock() });
    this.linearizable.issue(requestId, this.ackedIndexMax);
    this.stats.readsIssued++;
    this.trace.log(`client read ${requestId} via n${node.id} (acked through ${this.ackedIndexMax})`);
    return result;
  }

  /** A lease read at `node` (the caller checked it is up); falls back to ReadIndex when refused. */
  leaseRead(node: SimNode): CoreResult<void> {
    const result = node.raft().leaseRead();
    if (!result.ok) return this.read(node);
    const requestId = `r${++this.readSeq}`;
    this.reads.set(requestId, { node: node.id, issuedMs: this.clock() });
    this.linearizable.issue(requestId, this.ackedIndexMax);
    this.stats.readsIssued++;
    this.stats.leaseReads++;
    this.trace.log(`client lease read ${requestId} via n${node.id} at ${result.value} (acked through ${this.ackedIndexMax})`);
    node.awaitRead(requestId, result.value);
    return { ok: true, value: undefined };
  }

  applied(node: NodeId, entry: LogEntry): void {
    const pending = this.proposals.get(node)?.get(entry.index);
    if (pending === undefined) return;
    this.settle(node, entry.index, pending, entry.term === pending.term ? 'acked' : 'failed');
  }

  readServed(node: NodeId, requestId: string, applied: LogIndex): void {
    if (!this.reads.delete(requestId)) return;
    this.stats.readsServed++;
    this.trace.log(`client read ${requestId} served by n${node} at applied ${applied}`);
  }

  readsDropped(requestIds: readonly string[]): void {
    for (const requestId of requestIds) this.forgetRead(requestId, 'dropped');
  }

  /** The node crashed: what it was doing for clients has an unknown outcome. */
  crashed(node: NodeId): void {
    for (const [index, pending] of this.proposals.get(node) ?? []) this.settle(node, index, pending, 'unknown');
    for (const [requestId, read] of this.reads) if (read.node === node) this.forgetRead(requestId, 'lost in a crash');
  }

  /** A snapshot moved `node` past these indexes without applying them one by one. */
  skippedTo(node: NodeId, index: number): void {
    for (const [at, pending] of this.proposals.get(node) ?? []) if (at <= index) this.settle(node, at, pending, 'unknown');
  }

  expire(nowMs: number): void {
    const oldest = nowMs - this.bounds.clientTimeoutMs;
    for (const [node, atNode] of this.proposals) {
      for (const [index, pending] of atNode) if (pending.issuedMs < oldest) this.settle(node, index, pending, 'unknown');
    }
    for (const [requestId, read] of this.reads) if (read.issuedMs < oldest) this.forgetRead(requestId, 'timed out');
  }

  private settle(node: NodeId, index: number, pending: PendingProposal, outcome: Outcome): void {
    this.proposals.get(node)?.delete(index);
    this.proposalCount--;
    this.stats[outcome]++;
    if (outcome === 'acked') this.ackedIndexMax = Math.max(this.ackedIndexMax, index);
    this.trace.log(`client ${pending.label} via n${node} at ${index}/t${pending.term}: ${outcome}`);
    pending.done?.(outcome, index);
  }

  private forgetRead(requestId: string, why: string): void {
    if (!this.reads.delete(requestId)) return;
    this.linearizable.forget(requestId);
    this.stats.readsDropped++;
    this.trace.log(`client read ${requestId}: ${why}`);
  }
}
