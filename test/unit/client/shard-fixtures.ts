// Shard maps for the SDK's unit tests, built with the server's own code (src/shard), so the
// client is checked against what a server would send.
import type { ShardMapInfo } from '../../../src/client/cluster-types.js';
import { nodeId } from '../../../src/shared/ids.js';
import { initialShardMap, shardMapToJson } from '../../../src/shard/shard-map.js';

/** Node n listens at `n<n>:1`. */
export const addressOf = (node: number): string => `n${node}:1`;

/** The founders' epoch-1 map of `groups` groups on nodes 1..`nodes`, as the ShardMap RPC gives it. */
export function shardMapInfo(nodes: number, groups: number, replicas: number, leaders: ReadonlyMap<number, number> = new Map()): ShardMapInfo {
  const ids = Array.from({ length: nodes }, (_, i) => nodeId(i + 1));
  const json = shardMapToJson(initialShardMap(ids, groups, replicas));
  return {
    epoch: json.epoch,
    ranges: json.ranges.map((r) => ({ start: r.start, end: r.end, group: r.group })),
    groups: json.groups.map((g) => ({ group: g.group, replicas: [...g.replicas], leaderId: leaders.get(g.group) ?? 0, term: leaders.has(g.group) ? 3 : 0 })),
    nodes: ids.map((id) => ({ nodeId: id, address: addressOf(id), isLearner: false })),
  };
}

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
