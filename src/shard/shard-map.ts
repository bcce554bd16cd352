/**
 * The shard map: which group owns which ring range, on which nodes, at which epoch. The epoch
 * grows with every change (a split, a replica move); a node or client holding an older map is
 * told WRONG_SHARD with the current epoch and refreshes. Founders derive epoch 1 from their
 * configuration; later maps are written to the meta group's log.
 */
import { assert } from '../shared/assert.js';
import { groupId, nodeId, type GroupId, type NodeId } from '../shared/ids.js';
import { HashRing, type KeyHasher, type RingRange } from './hash-ring.js';
import { initialPlacement, type GroupPlacement } from './placement.js';

/** A node that holds replicas: "active" takes new ones; "decommissioning" has its replicas moved away. */
export type NodeState = 'active' | 'decommissioning';

export interface NodeEntry {
  readonly address: string;
  readonly state: NodeState;
}

export interface ShardMap {
  readonly epoch: number;
  readonly ring: HashRing;
  /** Target replica sets: group leaders change their membership until it matches (src/shard/reconcile.ts). */
  readonly placements: ReadonlyMap<GroupId, GroupPlacement>;
  /** Every node of the cluster; empty in a map derived without addresses (unit tests). */
  readonly nodes: ReadonlyMap<NodeId, NodeEntry>;
  readonly balancerPaused: boolean;
}

export function initialShardMap(founders: readonly NodeId[], groupCount: number, replicationFactor: number, addresses: ReadonlyMap<NodeId, string> = new Map()): ShardMap {
  const placements = initialPlacement(founders, groupCount, replicationFactor);
  return {
    epoch: 1,
    ring: HashRing.even(placements.map((p) => p.group)),
    placements: new Map(placements.map((p) => [p.group, p])),
    nodes: new Map([...addresses].map(([id, address]) => [id, { address, state: 'active' as const }])),
    balancerPaused: false,
  };
}

export function groupForKey(map: ShardMap, hasher: KeyHasher, key: Uint8Array): GroupId {
  return map.ring.groupOf(hasher, key);
}

export function groupsOnNode(map: ShardMap, node: NodeId): GroupId[] {
  return [...map.placements.values()].filter((p) => p.replicas.includes(node)).map((p) => p.group);
}

/** JSON form, used on the wire (ShardMap RPC) and in the meta group. */
export interface ShardMapJson {
  readonly epoch: number;
  readonly ranges: readonly { start: number; end: number; group: number }[];
  readonly groups: readonly { group: number; replicas: readonly number[] }[];
  readonly nodes?: readonly { node: number; address: string; state: NodeState }[];
  readonly balancerPaused?: boolean;
}

export function shardMapToJson(map: ShardMap): ShardMapJson {
  return {
    epoch: map.epoch,
    ranges: map.ring.ranges.map((r) => ({ start: r.start, end: r.end, group: r.group })),
    groups: [...map.placements.values()].map((p) => ({ group: p.group, replicas: [...p.replicas] })),
    nodes: [...map.nodes].map(([node, n]) => ({ node, address: n.address, state: n.state })),
    balancerPaused: map.balancerPaused,
  };
}

export function shardMapFromJson(json: ShardMapJson): ShardMap {
  assert(Number.isSafeInteger(json.epoch) && json.epoch >= 1, `Shard map epoch must be >= 1, got ${json.epoch}`);
  const ranges: RingRange[] = json.ranges.map((r) => ({ start: r.start, end: r.end, group: groupId(r.group) }));
  const placements = new Map(json.groups.map((g) => [groupId(g.group), { group: groupId(g.group), replicas: g.replicas.map(nodeId) }]));
  for (const range of ranges) assert(placements.has(range.group), `Shard map range owned by unplaced group ${range.group}`);
  const nodes = new Map((json.nodes ?? []).map((n) => [nodeId(n.node), { address: n.address, state: n.state }]));
  return { epoch: json.epoch, ring: new HashRing(ranges), placements, nodes, balancerPaused: json.balancerPaused ?? false };
}
