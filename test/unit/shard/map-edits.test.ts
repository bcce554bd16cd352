/**
 * Goal: the operator's shard-map edits (src/shard/map-edits.ts) are pure, bump the epoch by exactly
 * one when they change something, answer null (or the same map) when nothing changes, and refuse a
 * request that makes no sense with INVALID_ARGUMENT naming the field and the problem.
 * Method: table tests over small maps built with initialShardMap(); every refusal is checked for its
 * code, field and message, and the input map is checked to be untouched afterwards.
 */
import { describe, expect, it } from 'vitest';
import { KvError } from '../../../src/shared/errors.js';
import { groupId, nodeId, type NodeId } from '../../../src/shared/ids.js';
import { RING_SIZE } from '../../../src/shard/hash-ring.js';
import { decommissionNode, joinNode, moveReplica, pauseBalancer, preferLeader, splitGroup } from '../../../src/shard/map-edits.js';
import { initialShardMap, shardMapFromJson, shardMapToJson, type ShardMap } from '../../../src/shard/shard-map.js';

const n = nodeId;
const g = groupId;

/** `founders` nodes, `groups` groups of `replicas` replicas, every node active at "hN:7000". */
function mapOf(founders: number, groups: number, replicas: number): ShardMap {
  const ids = Array.from({ length: founders }, (_, i) => n(i + 1));
  return initialShardMap(ids, groups, replicas, new Map(ids.map((id) => [id, `h${id}:7000`])));
}

/** The refusal an edit throws; fails the test when it does not throw a KvError. */
function refusalOf(edit: () => unknown): KvError {
  try {
    edit();
  } catch (error) {
    expect(error).toBeInstanceOf(KvError);
    return error as KvError;
  }
  throw new Error('expected the edit to be refused');
}

function replicasOf(map: ShardMap, group: number): readonly NodeId[] | undefined {
  return map.placements.get(g(group))?.replicas;
}

describe('joinNode()', () => {
  it('adds a new node as active with its address, one epoch later', () => {
    const map = mapOf(3, 4, 3);
    const next = joinNode(map, n(4), 'h4:7000');
    expect(next?.epoch).toBe(2);
    expect(next?.nodes.get(n(4))).toEqual({ address: 'h4:7000', state: 'active' });
    expect(next?.nodes.size).toBe(4);
    expect(map.nodes.has(n(4))).toBe(false); // the input map is untouched
  });

  it('returns null when the node is already active at the same address', () => {
    expect(joinNode(mapOf(3, 4, 3), n(2), 'h2:7000')).toBeNull();
  });

  it('records a new address for an active node', () => {
    const next = joinNode(mapOf(3, 4, 3), n(2), 'moved:7001');
    expect(next?.epoch).toBe(2);
    expect(next?.nodes.get(n(2))).toEqual({ address: 'moved:7001', state: 'active' });
  });

  it('refuses a node id that is decommissioning, whatever the address', () => {
    const map = decommissionNode(mapOf(4, 4, 3), n(4));
    expect(map).not.toBeNull();
    for (const address of ['h4:7000', 'other:1']) {
      const error = refusalOf(() => joinNode(map as ShardMap, n(4), address));
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'nodeId' }, message: 'Cannot join node 4: it is decommissioning; use a new node id' });
    }
  });
});

describe('decommissionNode()', () => {
  it('marks the node decommissioning, keeping its address and its replicas for the balancer to move', () => {
    const map = mapOf(4, 8, 3);
    const next = decommissionNode(map, n(2));
    expect(next?.epoch).toBe(2);
    expect(next?.nodes.get(n(2))).toEqual({ address: 'h2:7000', state: 'decommissioning' });
    expect(shardMapToJson(next as ShardMap).groups).toEqual(shardMapToJson(map).groups);
    expect(map.nodes.get(n(2))?.state).toBe('active');
  });

  it('returns null for a node that is already decommissioning', () => {
    const once = decommissionNode(mapOf(4, 8, 3), n(2));
    expect(decommissionNode(once as ShardMap, n(2))).toBeNull();
  });

  it.each([
    ['an unknown node', mapOf(4, 8, 3), 9, 'Cannot decommission node 9: the shard map (epoch 1) has no such node'],
    ['the node that would leave fewer active nodes than replicas', mapOf(3, 8, 3), 1, 'Cannot decommission node 1: 2 active nodes would remain, fewer than the 3 replicas a group needs'],
    ['a second node of four with three replicas', decommissionNode(mapOf(4, 8, 3), n(4)) as ShardMap, 1, 'Cannot decommission node 1: 2 active nodes would remain, fewer than the 3 replicas a group needs'],
  ])('refuses %s', (_name, map, node, message) => {
    const error = refusalOf(() => decommissionNode(map, n(node)));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'nodeId' }, message });
  });

  it('counts the largest replica set of any group', () => {
    const json = shardMapToJson(mapOf(3, 2, 2));
    const mixed = shardMapFromJson({ ...json, groups: [{ group: 1, replicas: [1, 2] }, { group: 2, replicas: [1, 2, 3] }] });
    expect(refusalOf(() => decommissionNode(mixed, n(3))).message).toMatch(/fewer than the 3 replicas/);
    expect(decommissionNode(mapOf(3, 2, 2), n(3))?.nodes.get(n(3))?.state).toBe('decommissioning');
  });
});

describe('pauseBalancer()', () => {
  it('flips the flag one epoch later, and returns null when it already has that value', () => {
    const map = mapOf(3, 4, 3);
    expect(pauseBalancer(map, false)).toBeNull();
    const paused = pauseBalancer(map, true);
    expect([paused?.balancerPaused, paused?.epoch]).toEqual([true, 2]);
    expect(pauseBalancer(paused as ShardMap, true)).toBeNull();
    const resumed = pauseBalancer(paused as ShardMap, false);
    expect([resumed?.balancerPaused, resumed?.epoch]).toEqual([false, 3]);
  });
});

describe('moveReplica()', () => {
  it('replaces the node in place, so the preferred leader moves with it when it was first', () => {
    const map = joinNode(mapOf(3, 4, 3), n(4), 'h4:7000') as ShardMap;
    expect(replicasOf(map, 1)).toEqual([1, 2, 3]);
    const asFollower = moveReplica(map, g(1), n(2), n(4));
    expect(replicasOf(asFollower, 1)).toEqual([1, 4, 3]);
    expect(asFollower.epoch).toBe(map.epoch + 1);
    const asLeader = moveReplica(map, g(1), n(1), n(4));
    expect(replicasOf(asLeader, 1)).toEqual([4, 2, 3]);
    // Other groups and the input map are untouched.
    expect(replicasOf(asLeader, 2)).toEqual(replicasOf(map, 2));
    expect(replicasOf(map, 1)).toEqual([1, 2, 3]);
  });

  it.each([
    ['an unknown group', 9, 1, 4, 'groupId', 'Cannot change group 9: the shard map (epoch 2) has no such group'],
    ['a node without a replica of the group', 1, 4, 2, 'fromNodeId', 'Cannot move group 1 from node 4: it has no replica there (replicas 1, 2, 3)'],
    ['a target that already holds a replica', 1, 1, 2, 'toNodeId', 'Cannot move group 1 to node 2: it already has a replica there'],
    ['a target the map does not know', 1, 1, 7, 'toNodeId', 'Cannot move group 1 to node 7: it is not an active node of the cluster'],
  ])('refuses %s', (_name, group, from, to, field, message) => {
    const map = joinNode(mapOf(3, 4, 3), n(4), 'h4:7000') as ShardMap;
    const error = refusalOf(() => moveReplica(map, g(group), n(from), n(to)));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field }, message });
  });

  it('refuses a target that is decommissioning', () => {
    const map = decommissionNode(joinNode(mapOf(3, 4, 3), n(4), 'h4:7000') as ShardMap, n(4)) as ShardMap;
    const error = refusalOf(() => moveReplica(map, g(1), n(1), n(4)));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'toNodeId' }, message: 'Cannot move group 1 to node 4: it is not an active node of the cluster' });
  });
});

describe('preferLeader()', () => {
  it('rotates the replica list so the leader comes first, keeping the cyclic order', () => {
    const map = mapOf(3, 4, 3);
    expect(replicasOf(preferLeader(map, g(1), n(2)), 1)).toEqual([2, 3, 1]);
    expect(replicasOf(preferLeader(map, g(1), n(3)), 1)).toEqual([3, 1, 2]);
    expect(preferLeader(map, g(1), n(3)).epoch).toBe(2);
    expect(replicasOf(map, 1)).toEqual([1, 2, 3]);
  });

  it('returns the same map when the node is already the preferred leader', () => {
    const map = mapOf(3, 4, 3);
    expect(preferLeader(map, g(1), n(1))).toBe(map);
  });

  it('refuses an unknown group', () => {
    const error = refusalOf(() => preferLeader(mapOf(3, 4, 3), g(5), n(1)));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'groupId' } });
  });
});

describe('splitGroup()', () => {
  it('cuts the range at its midpoint and gives the upper half to a new group with the same replicas', () => {
    const map = mapOf(3, 4, 3);
    const before = map.ring.ranges.find((r) => r.group === g(2));
    const { map: next, child } = splitGroup(map, g(2));
    expect(child).toBe(5);
    expect(next.epoch).toBe(2);
    const mid = (before?.start ?? 0) + Math.floor(((before?.end ?? 0) - (before?.start ?? 0)) / 2);
    expect(next.ring.ranges.filter((r) => r.group === g(2) || r.group === g(5))).toEqual([
      { start: before?.start, end: mid, group: 2 },
      { start: mid, end: before?.end, group: 5 },
    ]);
    expect(replicasOf(next, 5)).toEqual(replicasOf(map, 2));
    expect(next.placements.size).toBe(5);
    expect(map.ring.ranges).toHaveLength(4);
  });

  it('names the child after the highest group id, even when that is not the group split', () => {
    const once = splitGroup(mapOf(3, 4, 3), g(1));
    const twice = splitGroup(once.map, g(1));
    expect([once.child, twice.child]).toEqual([5, 6]);
    expect(twice.map.ring.ranges.map((r) => r.group)).toEqual([1, 6, 5, 2, 3, 4]);
  });

  it('refuses an unknown group and a range too small to cut', () => {
    expect(refusalOf(() => splitGroup(mapOf(3, 4, 3), g(9)))).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'groupId' } });
    const json = shardMapToJson(mapOf(3, 2, 3));
    const tiny = shardMapFromJson({ ...json, ranges: [{ start: 0, end: 1, group: 1 }, { start: 1, end: RING_SIZE, group: 2 }] });
    expect(refusalOf(() => splitGroup(tiny, g(1)))).toMatchObject({
      code: 'INVALID_ARGUMENT', details: { field: 'groupId' }, message: 'Cannot split group 1: its ring range is too small',
    });
  });

  it('refuses a placed group that owns no ring range', () => {
    const json = shardMapToJson(mapOf(3, 2, 3));
    const unranged = shardMapFromJson({ ...json, groups: [...json.groups, { group: 3, replicas: [1, 2, 3] }] });
    expect(refusalOf(() => splitGroup(unranged, g(3))).message).toBe('Cannot split group 3: its ring range is too small');
  });
});
