import { describe, expect, it } from 'vitest';
import { groupId, nodeId } from '../../../src/shared/ids.js';
import { initialShardMap } from '../../../src/shard/shard-map.js';
import { mayCreateReplica } from '../../../src/server/groups.js';

const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];
// Two data groups with one replica each on three nodes: each is placed on exactly one node.
const map = initialShardMap([n1, n2, n3], 2, 1);
const placedOn = (group: number) => map.placements.get(groupId(group))?.replicas ?? [];

describe('mayCreateReplica', () => {
  it('allows the meta group always, even without a map (a joining node)', () => {
    expect(mayCreateReplica(groupId(0), null, n1, true)).toBe(true);
    expect(mayCreateReplica(groupId(0), null, n1, false)).toBe(true);
  });

  it('allows a data group only where the map places it', () => {
    for (const group of [1, 2]) {
      for (const node of [n1, n2, n3]) expect(mayCreateReplica(groupId(group), map, node, true)).toBe(placedOn(group).includes(node));
    }
    expect(mayCreateReplica(groupId(77), map, n1, true)).toBe(false);
  });

  it('refuses every other group on an unsharded cluster, or before the map is known', () => {
    expect(mayCreateReplica(groupId(1), map, placedOn(1)[0] ?? n1, false)).toBe(false);
    expect(mayCreateReplica(groupId(1), null, n1, true)).toBe(false);
  });
});
