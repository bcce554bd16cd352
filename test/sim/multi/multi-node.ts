/**
 * Goal: one server process of a multi-group cluster: it hosts one replica (a SimNode driving a
 * real RaftNode over a GroupMachine) per group it holds, and is up, paused or down as a whole.
 * Method: a container; the cluster creates, founds, starts and destroys the replicas.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { SimNode } from '../sim-node.js';
import type { GroupMachine } from './group-machine.js';
import type { TombstoneMode } from './multi-options.js';

export type Replica = SimNode<GroupMachine>;

/** What GC leaves of a replica: the answering replica's term and applied index. */
export interface Tombstone {
  readonly term: number;
  readonly applied: number;
}

export class MultiNode {
  readonly replicas = new Map<number, Replica>();
  /**
   * Groups whose replica this node destroyed -> the answering replica's term at the time (durable,
   * like the replica's own state). A leader's message of a lower term never recreates the replica:
   * an empty replica has forgotten its term and would acknowledge a deposed leader that never
   * applied the removal (a stale read: FINDINGS.md M2, --mutation gc-no-tombstone). A leader of
   * that term or later may recreate it, so a node can rejoin a group it left (multi-cluster.ts);
   * the replica so created votes only once its log reaches the tombstone's applied index.
   */
  readonly tombstones = new Map<number, Tombstone>();
  isUp = false;
  isDecommissioned = false;
  /** Being drained: no new replicas are moved here; stopped once nothing is left on it. */
  isDraining = false;
  pausedUntilMs = 0;
  ticksMissed = 0;

  constructor(readonly id: NodeId) {}

  isServing(nowMs: number): boolean {
    return this.isUp && this.pausedUntilMs <= nowMs;
  }

  /** Whether a leader's message of `term` is kept from recreating `group`'s destroyed replica (multi-options.ts). */
  isTombstoned(group: number, term: number, mode: TombstoneMode): boolean {
    const tombstone = this.tombstones.get(group);
    return tombstone !== undefined && (mode === 'forever' || term < tombstone.term);
  }

  /** RaftNode's voteFloor for a replica of `group` started here: the tombstone's applied index (src/server/groups.ts). */
  voteFloor(group: number): number {
    return this.tombstones.get(group)?.applied ?? 0;
  }

  /** Replicas with state (founded or caught up), not empty ones made by a leader's first message. */
  initialized(group: number): Replica | undefined {
    const replica = this.replicas.get(group);
    return replica !== undefined && replica.disk.machine.applied > 0 ? replica : undefined;
  }
}

/** The view clients, the operator and the checks act through (no event loop in it). */
export interface MultiView {
  readonly nowMs: number;
  /** Strictly growing history clock (events run so far). */
  readonly historyTime: number;
  /** Nodes not decommissioned, in id order. */
  nodes(): MultiNode[];
  node(id: NodeId): MultiNode | undefined;
  /** Groups with at least one initialized replica on a live node, ascending. */
  groups(): number[];
  /** The serving replica that leads `group` in the highest term, if any. */
  groupLeader(group: number): { readonly node: MultiNode; readonly replica: Replica } | undefined;
  /** The most advanced initialized replica of a group on a live node (the map's source of truth). */
  freshest(group: number): Replica | undefined;
  addNode(): MultiNode | undefined;
  decommission(id: NodeId): void;
  /** Deletes a replica, leaving a tombstone (the answering replica's term and applied index). */
  destroyReplica(node: MultiNode, group: number, tombstone: Tombstone, why: string): void;
  later(delayMs: number, label: string, run: () => void): void;
  log(text: string): void;
}
