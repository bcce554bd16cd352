/**
 * The changes an operator (or the balancer) can make to the shard map. Each is a pure function
 * from one map to the next, with the epoch one higher; a request that makes no sense for the map
 * it meets is refused with INVALID_ARGUMENT naming the problem, and changes nothing. The meta
 * group's leader applies them with a compare-and-swap (src/server/meta-map.ts), so concurrent
 * editors cannot lose each other's changes.
 */
import { KvError } from '../shared/errors.js';
import { groupId, type GroupId, type NodeId } from '../shared/ids.js';
import type { GroupPlacement } from './placement.js';
import type { NodeEntry, ShardMap } from './shard-map.js';

function refuse(field: string, message: string): KvError {
  return new KvError('INVALID_ARGUMENT', message, { field });
}

function next(map: ShardMap, changes: Partial<Omit<ShardMap, 'epoch'>>): ShardMap {
  return { ...map, ...changes, epoch: map.epoch + 1 };
}

function placementOf(map: ShardMap, group: GroupId): GroupPlacement {
  const placement = map.placements.get(group);
  if (placement === undefined) throw refuse('groupId', `Cannot change group ${group}: the shard map (epoch ${map.epoch}) has no such group`);
  return placement;
}

/** Registers a node (idempotent for the same address), or returns null when nothing changes. */
export function joinNode(map: ShardMap, node: NodeId, address: string): ShardMap | null {
  const known = map.nodes.get(node);
  if (known !== undefined && known.address === address && known.state === 'active') return null;
  if (known !== undefined && known.state !== 'active') {
    throw refuse('nodeId', `Cannot join node ${node}: it is ${known.state}; use a new node id`);
  }
  return next(map, { nodes: new Map([...map.nodes, [node, { address, state: 'active' }]]) });
}

export function decommissionNode(map: ShardMap, node: NodeId): ShardMap | null {
  const known = map.nodes.get(node);
  if (known === undefined) throw refuse('nodeId', `Cannot decommission node ${node}: the shard map (epoch ${map.epoch}) has no such node`);
  if (known.state === 'decommissioning') return null;
  const active = [...map.nodes.values()].filter((n) => n.state === 'active').length;
  const replicas = Math.max(0, ...[...map.placements.values()].map((p) => p.replicas.length));
  if (active - 1 < replicas) {
    throw refuse('nodeId', `Cannot decommission node ${node}: ${active - 1} active nodes would remain, fewer than the ${replicas} replicas a group needs`);
  }
  const entry: NodeEntry = { ...known, state: 'decommissioning' };
  return next(map, { nodes: new Map([...map.nodes, [node, entry]]) });
}

export function pauseBalancer(map: ShardMap, paused: boolean): ShardMap | null {
  return map.balancerPaused === paused ? null : next(map, { balancerPaused: paused });
}

/** Replaces `from` with `to` in the group's replica set, keeping its position (so leader preference too). */
export function moveReplica(map: ShardMap, group: GroupId, from: NodeId, to: NodeId): ShardMap {
  const placement = placementOf(map, group);
  if (!placement.replicas.includes(from)) throw refuse('fromNodeId', `Cannot move group ${group} from node ${from}: it has no replica there (replicas ${placement.replicas.join(', ')})`);
  if (placement.replicas.includes(to)) throw refuse('toNodeId', `Cannot move group ${group} to node ${to}: it already has a replica there`);
  if (map.nodes.get(to)?.state !== 'active') throw refuse('toNodeId', `Cannot move group ${group} to node ${to}: it is not an active node of the cluster`);
  const replicas = placement.replicas.map((n) => (n === from ? to : n));
  return next(map, { placements: new Map([...map.placements, [group, { group, replicas }]]) });
}

/** Rotates the replica list so `leader` comes first (the preferred leader). */
export function preferLeader(map: ShardMap, group: GroupId, leader: NodeId): ShardMap {
  const { replicas } = placementOf(map, group);
  const at = replicas.indexOf(leader);
  if (at <= 0) return map;
  const rotated = [...replicas.slice(at), ...replicas.slice(0, at)];
  return next(map, { placements: new Map([...map.placements, [group, { group, replicas: rotated }]]) });
}

/**
 * Cuts the group's ring range at its midpoint; the upper half goes to a new group with the same
 * replicas. Routing changes at once; the data follows when the parent applies its split command.
 */
export function splitGroup(map: ShardMap, group: GroupId): { map: ShardMap; child: GroupId } {
  const placement = placementOf(map, group);
  const child = groupId(Math.max(...map.placements.keys()) + 1);
  const owned = map.ring.ranges.filter((r) => r.group === group);
  const range = owned[0];
  if (owned.length !== 1 || range === undefined || range.end - range.start < 2) {
    throw refuse('groupId', `Cannot split group ${group}: its ring range is too small`);
  }
  return {
    child,
    map: next(map, {
      ring: map.ring.split(group, child),
      placements: new Map([...map.placements, [child, { group: child, replicas: [...placement.replicas] }]]),
    }),
  };
}
