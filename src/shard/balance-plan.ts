/**
 * What the balancer would change next, as a pure function of the shard map: first every replica
 * on a node that is not active (decommissioning, or gone from the node list) is moved to the
 * least-loaded active node; then replicas move from the most to the least loaded node until no two
 * active nodes differ by more than one; then preferred leaders (first replica) are evened out the
 * same way. At most `movesMax` replica moves per call, so a new node fills up gradually and every
 * step is a small map change that can be paused between.
 */
import type { GroupId, NodeId } from '../shared/ids.js';
import { moveReplica, preferLeader } from './map-edits.js';
import type { ShardMap } from './shard-map.js';

export interface PlannedMove {
  readonly group: GroupId;
  readonly from: NodeId;
  readonly to: NodeId;
}

export interface BalancePlan {
  readonly map: ShardMap;
  readonly moves: readonly PlannedMove[];
  readonly leaders: readonly { readonly group: GroupId; readonly leader: NodeId }[];
}

export function planBalance(map: ShardMap, movesMax: number): BalancePlan | null {
  const active = [...map.nodes].filter(([, n]) => n.state === 'active').map(([id]) => id).sort((a, b) => a - b);
  if (active.length === 0) return null;
  let current = map;
  const moves: PlannedMove[] = [];
  for (const move of evacuations(current, active)) {
    if (moves.length >= movesMax) break;
    current = moveReplica(current, move.group, move.from, move.to);
    moves.push(move);
  }
  for (let move = spread(current, active); move !== null && moves.length < movesMax; move = spread(current, active)) {
    current = moveReplica(current, move.group, move.from, move.to);
    moves.push(move);
  }
  const leaders: { group: GroupId; leader: NodeId }[] = [];
  for (let change = evenLeaders(current, active); change !== null && leaders.length < active.length; change = evenLeaders(current, active)) {
    current = preferLeader(current, change.group, change.leader);
    leaders.push(change);
  }
  if (moves.length === 0 && leaders.length === 0) return null;
  return { map: { ...current, epoch: map.epoch + 1 }, moves, leaders };
}

function countBy(map: ShardMap, nodes: readonly NodeId[], pick: (replicas: readonly NodeId[]) => readonly NodeId[]): Map<NodeId, number> {
  const counts = new Map(nodes.map((n) => [n, 0]));
  for (const p of map.placements.values()) for (const n of pick(p.replicas)) if (counts.has(n)) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}

/** Nodes by load, least first; ties by id so every caller plans the same. */
function byLoad(counts: Map<NodeId, number>): NodeId[] {
  return [...counts].sort(([a, ca], [b, cb]) => ca - cb || a - b).map(([id]) => id);
}

function* evacuations(map: ShardMap, active: readonly NodeId[]): Generator<PlannedMove> {
  const load = countBy(map, active, (r) => r);
  for (const p of [...map.placements.values()].sort((a, b) => a.group - b.group)) {
    const members = new Set(p.replicas); // grows as this group gains targets, so no node is picked twice
    for (const from of p.replicas) {
      if (active.includes(from)) continue;
      const to = byLoad(load).find((n) => !members.has(n));
      if (to === undefined) continue;
      members.add(to);
      load.set(to, (load.get(to) ?? 0) + 1);
      yield { group: p.group, from, to };
    }
  }
}

/**
 * The first (most loaded, least loaded) pair of nodes more than one apart for which `pick` finds a
 * group to change; trying every pair matters when the two extremes share no suitable group.
 */
function firstPair<T>(counts: Map<NodeId, number>, pick: (most: NodeId, least: NodeId) => T | undefined): T | null {
  const ascending = byLoad(counts);
  for (const most of [...ascending].reverse()) {
    for (const least of ascending) {
      if ((counts.get(most) ?? 0) - (counts.get(least) ?? 0) <= 1) break;
      const found = pick(most, least);
      if (found !== undefined) return found;
    }
  }
  return null;
}

function spread(map: ShardMap, active: readonly NodeId[]): PlannedMove | null {
  const placements = [...map.placements.values()];
  return firstPair(countBy(map, active, (r) => r), (most, least) => {
    const candidates = placements.filter((p) => p.replicas.includes(most) && !p.replicas.includes(least));
    // Prefer moving a replica that is not the preferred leader: no leadership has to move with it.
    const pick = candidates.find((p) => p.replicas[0] !== most) ?? candidates[0];
    return pick === undefined ? undefined : { group: pick.group, from: most, to: least };
  });
}

function evenLeaders(map: ShardMap, active: readonly NodeId[]): { group: GroupId; leader: NodeId } | null {
  const placements = [...map.placements.values()];
  return firstPair(countBy(map, active, (r) => r.slice(0, 1)), (most, least) => {
    const pick = placements.find((p) => p.replicas[0] === most && p.replicas.includes(least));
    return pick === undefined ? undefined : { group: pick.group, leader: least };
  });
}
