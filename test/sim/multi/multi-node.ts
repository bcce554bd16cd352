/**
 * Goal: one server process of a multi-group cluster: it hosts one replica (a SimNode driving a
 * real RaftNode over a GroupMachine) per group it holds, and is up, paused or down as a whole.
 * Method: a container; the cluster creates, founds, starts and destroys the replicas.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { SimNode } from '../sim-node.js';
import type { GroupMachine } from './group-machine.js';

export type Replica = SimNode<GroupMachine>;

export class MultiNode {
  readonly replicas = new Map<number, Replica>();
  /**
   * Groups whose replica this node destroyed (durable, like the replica's own state). A message of
   * such a group never recreates it: an empty replica has forgotten its term and would acknowledge a
   * deposed leader that never applied the removal (a stale read, seed 300 at 5 nodes with
   * --mutation gc-no-tombstone). Nodes never rejoin a group (operator.ts), so this is final.
   */
  readonly tombstones = new Set<number>();
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
  destroyReplica(node: MultiNode, group: number, why: string): void;
  later(delayMs: number, label: string, run: () => void): void;
  log(text: string): void;
}
