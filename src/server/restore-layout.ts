/**
 * Who hosts what in a cluster founded from a backup, computed identically by every node that runs
 * `raftkv restore` with the same --peers (as founders derive the initial placement from their
 * configuration, src/shard/placement.ts): same groups, ring and data as the archive; members from
 * --peers. The meta group's voters are the lowest ids (metaReplicas), every other node a learner
 * of it, so every node reads the shard map locally from the start. Data groups are placed
 * round-robin in group order. The new shard map (epoch + 1) replaces the saved one in the meta
 * group, so the saved cluster's node ids and addresses do not come back.
 */
import { nodeId, groupId, type GroupId, type NodeId } from '../shared/ids.js';
import type { ConfState } from '../raft/types.js';
import type { BackupManifest } from '../shared/backup-archive.js';
import { initialPlacement, META_GROUP, metaReplicas } from '../shard/placement.js';
import type { ShardMapJson } from '../shard/shard-map.js';

export interface RestoreLayout {
  /** Each group's founding membership. */
  readonly confs: ReadonlyMap<GroupId, ConfState>;
  /** The shard map to write into the meta group; null when unsharded. */
  readonly map: ShardMapJson | null;
}

/** The replication factor the archive's groups had (3 if it does not say). */
export function savedReplicas(manifest: BackupManifest): number {
  return Math.max(0, ...manifest.groups.map((g) => g.replicas.length)) || 3;
}

export function restoreLayout(manifest: BackupManifest, peers: ReadonlyMap<NodeId, string>, replicas: number): RestoreLayout {
  const nodes = [...peers.keys()].sort((a, b) => a - b);
  const confOf = (voters: readonly NodeId[], learners: readonly NodeId[] = []): ConfState => {
    const members = [...voters, ...learners];
    return { voters: [...voters].sort((a, b) => a - b), learners: [...learners].sort((a, b) => a - b), addresses: Object.fromEntries(members.map((n) => [String(n), peers.get(n) ?? ''])) };
  };
  if (!manifest.sharded) return { confs: new Map([[META_GROUP, confOf(nodes)]]), map: null };
  const meta = metaReplicas(nodes);
  const confs = new Map<GroupId, ConfState>([[META_GROUP, confOf(meta, nodes.filter((n) => !meta.includes(n)))]]);
  const data = manifest.groups.map((g) => groupId(g.group)).filter((g) => g !== META_GROUP).sort((a, b) => a - b);
  const placements = data.length === 0 ? [] : initialPlacement(nodes, data.length, replicas);
  const groups = data.map((group, i) => ({ group, replicas: placements[i]?.replicas ?? [] }));
  for (const { group, replicas: members } of groups) confs.set(group, confOf(members));
  return {
    confs,
    map: {
      epoch: manifest.epoch + 1,
      ranges: manifest.ring.map((r) => ({ start: r.start, end: r.end, group: r.group })),
      groups: groups.map((g) => ({ group: g.group, replicas: [...g.replicas] })),
      nodes: nodes.map((n) => ({ node: n, address: peers.get(n) ?? '', state: 'active' as const })),
      balancerPaused: false,
    },
  };
}

export function peerIds(peers: ReadonlyMap<number, string>): Map<NodeId, string> {
  return new Map([...peers].map(([id, address]) => [nodeId(id), address]));
}
