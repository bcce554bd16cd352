/**
 * The client's view of where keys live, built from one Cluster.ShardMap answer: each key's group
 * comes from the server's own ring code (src/shard/hash-ring.ts: xxHash64 of the key or its
 * {hash tag}, then the ring ranges), so client and server agree on a key's group under the same
 * map; each group's replicas come with their addresses from the map's node list. Epoch 0 is an
 * unsharded cluster: every key is in group 0, which every node hosts, so the configured endpoints
 * are the candidates (today's behaviour).
 */
import { groupId } from '../shared/ids.js';
import { HashRing, RING_SIZE, type KeyHasher } from '../shard/hash-ring.js';
import type { ShardMapInfo } from './cluster-types.js';
import { KvClientError } from './errors.js';

/** The only group of an unsharded cluster (and the meta group of a sharded one). */
export const UNSHARDED_GROUP = 0;

function malformed(what: string): KvClientError {
  return new KvClientError('INTERNAL', `Cannot use the server's shard map: ${what}`);
}

/** The ring of a sharded map, or a decode error instead of an assertion (it came off the wire). */
function ringOf(info: ShardMapInfo): HashRing {
  const sorted = [...info.ranges].sort((a, b) => a.start - b.start);
  let expected = 0;
  for (const range of sorted) {
    if (range.start !== expected || range.end <= range.start) throw malformed(`ranges are not contiguous at ring position ${expected}`);
    expected = range.end;
  }
  if (expected !== RING_SIZE) throw malformed(`ranges end at ${expected}, not at ${RING_SIZE}`);
  return new HashRing(sorted.map((r) => ({ start: r.start, end: r.end, group: groupId(r.group) })));
}

/**
 * Which group a key is in and where that group's replicas are.
 *
 * @example
 * ```ts
 * const table = RoutingTable.of(await fetchShardMap(), await loadKeyHasher());
 * table.groupOf(new TextEncoder().encode('user:{42}:name')); // same as 'user:{42}:email'
 * ```
 */
export class RoutingTable {
  private constructor(
    readonly epoch: number,
    private readonly ring: HashRing | null,
    private readonly hasher: KeyHasher | null,
    private readonly replicas: ReadonlyMap<number, readonly number[]>,
    private readonly addresses: ReadonlyMap<number, string>,
  ) {}

  static unsharded(): RoutingTable {
    return new RoutingTable(0, null, null, new Map(), new Map());
  }

  /** `hasher` is needed (and only used) when the map is sharded (epoch > 0). */
  static of(info: ShardMapInfo, hasher: KeyHasher | null): RoutingTable {
    if (info.epoch === 0) return RoutingTable.unsharded();
    if (hasher === null) throw malformed('no key hasher for a sharded map');
    const ring = ringOf(info);
    const replicas = new Map(info.groups.map((g) => [g.group, g.replicas]));
    for (const group of ring.groups()) if (!replicas.has(group)) throw malformed(`group ${group} owns a range but has no replicas`);
    const addresses = new Map(info.nodes.filter((n) => n.address !== '').map((n) => [n.nodeId, n.address]));
    return new RoutingTable(info.epoch, ring, hasher, replicas, addresses);
  }

  get isSharded(): boolean {
    return this.ring !== null;
  }

  groupOf(key: Uint8Array): number {
    return this.ring === null || this.hasher === null ? UNSHARDED_GROUP : this.ring.groupOf(this.hasher, key);
  }

  /** Every data group, ascending. */
  dataGroups(): number[] {
    return this.ring === null ? [UNSHARDED_GROUP] : this.ring.groups().map(Number).sort((a, b) => a - b);
  }

  /** The ring range the map gives `group`, or null when unsharded or unknown. */
  rangeOf(group: number): { start: number; end: number } | null {
    const range = this.ring?.ranges.find((r) => r.group === group);
    return range === undefined ? null : { start: range.start, end: range.end };
  }

  /** Addresses of the nodes hosting `group`, preferred leader first; empty when unsharded or unknown. */
  replicaAddresses(group: number): string[] {
    const ids = this.replicas.get(group) ?? [];
    return ids.flatMap((id) => {
      const address = this.addresses.get(id);
      return address === undefined ? [] : [address];
    });
  }

  address(nodeId: number): string | undefined {
    return this.addresses.get(nodeId);
  }
}
