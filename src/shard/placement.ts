/**
 * Initial placement of groups on the founding nodes, computed identically by every founder from
 * its configuration, so no coordination is needed to bootstrap. Replicas go round-robin, and the
 * first replica of each group is its preferred leader, so leaders start spread evenly too.
 */
import { assert } from '../shared/assert.js';
import { groupId, type GroupId, type NodeId } from '../shared/ids.js';

/** The meta group holds the shard map; data groups are numbered from 1. */
export const META_GROUP = groupId(0);

export interface GroupPlacement {
  readonly group: GroupId;
  /** replicas[0] is the preferred leader. */
  readonly replicas: readonly NodeId[];
}

export function initialPlacement(founders: readonly NodeId[], groupCount: number, replicationFactor: number): GroupPlacement[] {
  assert(founders.length > 0, 'Placement needs at least one founder');
  assert(Number.isInteger(groupCount) && groupCount >= 1, `Group count must be >= 1, got ${groupCount}`);
  const nodes = [...founders].sort((a, b) => a - b);
  const replicas = Math.min(replicationFactor, nodes.length);
  return Array.from({ length: groupCount }, (_, i) => ({
    group: groupId(i + 1),
    replicas: Array.from({ length: replicas }, (_, r) => nodes[(i + r) % nodes.length] ?? nodes[0]) as NodeId[],
  }));
}

/** The meta group lives on up to five founders, the lowest ids first. */
export function metaReplicas(founders: readonly NodeId[]): NodeId[] {
  return [...founders].sort((a, b) => a - b).slice(0, 5);
}
