import { describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { initialPlacement } from '../../../src/shard/placement.js';
import { groupsOnNode, initialShardMap, shardMapFromJson, shardMapToJson } from '../../../src/shard/shard-map.js';

const nodes = (...ids: number[]) => ids.map(nodeId);

describe('placement and shard map', () => {
  it('initialPlacement() puts each group on distinct nodes and spreads preferred leaders evenly', () => {
    const placement = initialPlacement(nodes(3, 1, 2), 16, 3);
    for (const p of placement) expect(new Set(p.replicas).size).toBe(3);
    const leaders = new Map<number, number>();
    for (const p of placement) leaders.set(p.replicas[0] ?? 0, (leaders.get(p.replicas[0] ?? 0) ?? 0) + 1);
    expect([...leaders.values()].sort()).toEqual([5, 5, 6]);
  });

  it('initialPlacement() spreads replicas evenly over more nodes than the replication factor', () => {
    const placement = initialPlacement(nodes(1, 2, 3, 4, 5), 20, 3);
    const replicas = new Map<number, number>();
    for (const p of placement) for (const r of p.replicas) replicas.set(r, (replicas.get(r) ?? 0) + 1);
    expect([...replicas.values()]).toEqual([12, 12, 12, 12, 12]);
  });

  it('initialPlacement() is the same whatever order founders are listed in', () => {
    expect(initialPlacement(nodes(1, 2, 3), 4, 3)).toEqual(initialPlacement(nodes(3, 2, 1), 4, 3));
  });

  it('shardMapToJson() round-trips through shardMapFromJson()', () => {
    const map = initialShardMap(nodes(1, 2, 3), 16, 3);
    const again = shardMapFromJson(JSON.parse(JSON.stringify(shardMapToJson(map))));
    expect(shardMapToJson(again)).toEqual(shardMapToJson(map));
    expect(groupsOnNode(again, nodeId(2)).length).toBe(16);
  });
});
