// The fault runs' view of a sharded cluster's shard map (Cluster.ShardMap): which group owns each
// ring range, each group's replicas, and each group's leader as the nodes know them. Every live
// node is asked at once and the answers are merged: the highest epoch gives the ranges and
// replicas (a lagging node may still serve an older map), and for each group the leader claim of
// the highest term wins (a node only knows leaders of the groups it hosts). Keys map to groups by
// the server's own ring code (src/shard/hash-ring.ts, xxHash64 of the key or its {hash tag}), so
// the runner and the server agree on a key's group under the same map.
import { groupId, nodeId, type NodeId } from '../../../src/shared/ids.js';
import { HashRing, RING_SIZE, type KeyHasher } from '../../../src/shard/hash-ring.js';
import { loadKeyHasher } from '../../../src/shard/hasher.js';
import { field, num } from '../../support/kv-wire.js';
import type { JepsenCluster } from './jepsen-cluster.js';

/** The meta group: holds the shard map, lives on up to five founders (src/shard/placement.ts). */
export const META_GROUP = 0;

export interface LeaderClaim {
  readonly node: NodeId;
  readonly term: number;
}

export interface ShardMapView {
  readonly epoch: number;
  readonly ring: HashRing;
  /** Data group -> replicas, preferred leader first. */
  readonly replicas: ReadonlyMap<number, readonly NodeId[]>;
  /** Group (data or meta) -> the leader claim of the highest term any node reported. */
  readonly leaders: ReadonlyMap<number, LeaderClaim>;
}

interface Answer {
  readonly epoch: number;
  readonly ranges: readonly { start: number; end: number; group: number }[];
  readonly groups: readonly { group: number; replicas: NodeId[]; leader: number; term: number }[];
}

const list = (message: unknown, name: string): unknown[] => {
  const value = field(message, name);
  return Array.isArray(value) ? value : [];
};

function decode(message: unknown): Answer {
  return {
    epoch: num(message, 'epoch'),
    ranges: list(message, 'ranges').map((r) => ({ start: num(r, 'start'), end: num(r, 'end'), group: num(r, 'groupId') })),
    groups: list(message, 'groups').map((g) => ({
      group: num(g, 'groupId'),
      replicas: list(g, 'replicas').map((id) => nodeId(Number(id))),
      leader: num(g, 'leaderId'),
      term: num(g, 'term'),
    })),
  };
}

function ringOf(answer: Answer): HashRing {
  const sorted = [...answer.ranges].sort((a, b) => a.start - b.start);
  const last = sorted.at(-1);
  if (sorted[0]?.start !== 0 || last?.end !== RING_SIZE) throw new Error(`Shard map of epoch ${answer.epoch} does not cover the ring`);
  return new HashRing(sorted.map((r) => ({ start: r.start, end: r.end, group: groupId(r.group) })));
}

/** Merges ShardMap answers: ring and replicas of the newest epoch, leaders of the highest term. */
export function mergeAnswers(answers: readonly Answer[]): ShardMapView {
  const newest = answers.reduce<Answer | undefined>((best, a) => (best === undefined || a.epoch > best.epoch ? a : best), undefined);
  if (newest === undefined) throw new Error('Cannot read the shard map: no node answered');
  if (newest.epoch === 0) throw new Error('Cannot route by shard map: the cluster is not sharded (epoch 0)');
  const ring = ringOf(newest);
  const replicas = new Map(newest.groups.filter((g) => g.group !== META_GROUP).map((g) => [g.group, g.replicas] as const));
  for (const group of ring.groups()) if (!replicas.has(group)) throw new Error(`Shard map of epoch ${newest.epoch}: group ${group} owns a range but has no replicas`);
  const leaders = new Map<number, LeaderClaim>();
  for (const answer of answers) {
    for (const g of answer.groups) {
      const known = leaders.get(g.group);
      if (g.leader > 0 && (known === undefined || g.term > known.term)) leaders.set(g.group, { node: nodeId(g.leader), term: g.term });
    }
  }
  return { epoch: newest.epoch, ring, replicas, leaders };
}

/** Asks every live node for its shard map (bounded by `deadlineMs`) and merges the answers. */
export async function fetchShardMap(cluster: JepsenCluster, deadlineMs: number): Promise<ShardMapView> {
  const asked = cluster.liveNodes();
  const answers = await Promise.all(asked.map((node) => cluster.kvStub(node).callCluster('ShardMap', {}, { deadlineMs }).then(decode, () => undefined)));
  return mergeAnswers(answers.filter((a): a is Answer => a !== undefined));
}

/** xxHash64 is WebAssembly, loaded once. */
export function keyHasher(): Promise<KeyHasher> {
  return loadKeyHasher();
}

/** The data groups of a view, ascending. */
export function dataGroups(view: ShardMapView): number[] {
  return view.ring.groups().map(Number).sort((a, b) => a - b);
}
