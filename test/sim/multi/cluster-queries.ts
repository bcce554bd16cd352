/**
 * Goal: the read-only questions the operator, the clients and the checks ask of a multi-group
 * cluster (which groups exist, who leads one, which replica is furthest ahead). Method: pure
 * functions over the nodes that are not decommissioned, so MultiCluster only forwards them.
 */
import type { MultiNode, Replica } from './multi-node.js';

/** Groups with at least one initialized replica, ascending. */
export function groupsOf(nodes: readonly MultiNode[]): number[] {
  const found = new Set<number>();
  for (const node of nodes) for (const group of node.replicas.keys()) if (node.initialized(group) !== undefined) found.add(group);
  return [...found].sort((a, b) => a - b);
}

/** The serving replica that leads `group` in the highest term, if any. */
export function leaderOf(nodes: readonly MultiNode[], group: number, nowMs: number): { node: MultiNode; replica: Replica } | undefined {
  let best: { node: MultiNode; replica: Replica } | undefined;
  let bestTerm = -1;
  for (const node of nodes) {
    const replica = node.replicas.get(group);
    const status = replica !== undefined && node.isServing(nowMs) ? replica.status() : undefined;
    if (status?.role === 'leader' && status.term > bestTerm && replica !== undefined) {
      best = { node, replica };
      bestTerm = status.term;
    }
  }
  return best;
}

/** The most advanced initialized replica of a group. */
export function freshestOf(nodes: readonly MultiNode[], group: number): Replica | undefined {
  let best: Replica | undefined;
  for (const node of nodes) {
    const replica = node.initialized(group);
    if (replica !== undefined && replica.disk.machine.applied > (best?.disk.machine.applied ?? 0)) best = replica;
  }
  return best;
}
