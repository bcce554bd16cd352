/**
 * Goal: the narrow view of the cluster that clients, the membership driver, the fault injector
 * and the liveness goal act through, so none of them depends on the event loop itself.
 */
import type { NodeId } from '../../src/shared/ids.js';
import type { SimNode } from './sim-node.js';

export interface ClusterView {
  readonly nowMs: number;
  /** Every node that was ever started and not decommissioned, up or down, in id order. */
  liveNodes(): SimNode[];
  /** Nodes a client can reach: up and not paused. */
  upNodes(): SimNode[];
  node(id: NodeId): SimNode | undefined;
  /** The serving node that believes it leads the highest term, if any. */
  leader(): SimNode | undefined;
  /** Starts a node that joins later: empty log, empty membership. */
  addJoiner(id: NodeId): SimNode;
  crash(id: NodeId): void;
  /** Stops a process until `untilMs` without losing anything (a GC pause or SIGSTOP). */
  pause(id: NodeId, untilMs: number): void;
  restart(id: NodeId): void;
  /** Stops a node for good (an operator removing a server). */
  decommission(id: NodeId): void;
  /** Runs `run` as its own event `delayMs` from now. */
  later(delayMs: number, label: string, run: () => void): void;
}
