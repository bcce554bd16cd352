/**
 * `raftkv restore --from FILE --data-dir DIR --node-id N --peers 1=HOST:PORT,...`: founds this
 * node's share of a new cluster from a backup archive, offline (like `etcdutl snapshot restore`).
 * Every node of the new cluster runs it with its own --node-id and the same --peers; then each
 * starts with `raftkv serve` as usual. Order of work, so a refused archive writes nothing:
 *   1. verify the whole archive (sha256 of the file and of each group, manifest shape);
 *   2. check the flags and that the data dir is empty or absent;
 *   3. for each group this node hosts (restore-layout.ts): copy its snapshot out of the archive,
 *      rewrite it with the new membership (and, for the meta group, the new shard map), stage it
 *      as a received snapshot and open the group, which installs it through the normal install
 *      path (snapshot-installer.ts checks its own sha256 again); set the hard state to the
 *      snapshot's term and index;
 *   4. record that the directory was restored (serve then founds no groups from its flags) and
 *      the group count serve must be started with.
 * A failure after step 2 removes what this run created.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { joinerState } from '../raft/bootstrap.js';
import type { ConfState } from '../raft/types.js';
import { BackupError, extractGroup, verifyBackup, type BackupGroup, type BackupManifest } from '../shared/backup-archive.js';
import { groupId, nodeId, type GroupId, type NodeId } from '../shared/ids.js';
import { ringPosition } from '../shard/hash-ring.js';
import { loadKeyHasher } from '../shard/hasher.js';
import { META_GROUP } from '../shard/placement.js';
import { NodeStorage } from '../storage/node-storage.js';
import { snapshotFileName } from '../storage/snapshot-files.js';
import { rewriteSnapshot } from '../storage/snapshot-rewrite.js';
import { ConfigError, defaultServerConfig } from './config.js';
import { MAP_KEY } from './meta-map.js';
import { peerIds, restoreLayout, savedReplicas, type RestoreLayout } from './restore-layout.js';

export interface RestoreOptions {
  readonly from: string;
  readonly dataDir: string;
  readonly nodeId: number;
  readonly peers: ReadonlyMap<number, string>;
  /** Replicas per data group; default: as many as the archive's groups had. */
  readonly replicas?: number;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly groups: readonly GroupId[];
  /** The --groups value `raftkv serve` must be started with on this data dir. */
  readonly servedGroups: number;
}

/** Written to node_setting: serve opens what is on disk and founds nothing from its flags. */
export const ORIGIN_SETTING = 'origin';
export const RESTORED_ORIGIN = 'restored';
/** Sessions kept per group, as main.ts (restore applies nothing, so the value only fills the type). */
const SESSIONS_MAX = 100_000;

export async function restoreNode(options: RestoreOptions): Promise<RestoreResult> {
  const manifest = await verifyBackup(options.from);
  const self = nodeId(options.nodeId);
  const peers = peerIds(options.peers);
  if (!peers.has(self)) throw new ConfigError(`Cannot restore: --peers must include this node (${options.nodeId})`);
  if (existsSync(options.dataDir) && readdirSync(options.dataDir).length > 0) {
    throw new ConfigError(`Cannot restore into ${options.dataDir}: the directory is not empty (restore founds a new node; use an empty or new directory)`);
  }
  const layout = restoreLayout(manifest, peers, options.replicas ?? savedReplicas(manifest));
  const servedGroups = manifest.sharded ? manifest.groups.filter((g) => g.group !== META_GROUP).length : 0;
  const created = !existsSync(options.dataDir);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  try {
    const groups = await writeGroups(options, manifest, layout, self, servedGroups);
    return { manifest, groups, servedGroups };
  } catch (error) {
    if (created) rmSync(options.dataDir, { recursive: true, force: true });
    else for (const name of readdirSync(options.dataDir)) rmSync(join(options.dataDir, name), { recursive: true, force: true });
    throw error;
  }
}

async function writeGroups(options: RestoreOptions, manifest: BackupManifest, layout: RestoreLayout, self: NodeId, servedGroups: number): Promise<GroupId[]> {
  const hasher = manifest.sharded ? await loadKeyHasher() : null;
  const storage = NodeStorage.open({
    path: join(options.dataDir, 'raftkv.db'),
    kv: { sessionTtlMs: defaultServerConfig.sessionTtlMs, sessionsMax: SESSIONS_MAX, ...(hasher === null ? {} : { ringPosition: (key: Uint8Array) => ringPosition(hasher, key) }) },
  });
  try {
    storage.settleSetting('groups', String(servedGroups));
    const hosted: GroupId[] = [];
    for (const saved of manifest.groups) {
      const group = groupId(saved.group);
      const conf = layout.confs.get(group);
      if (conf === undefined || ![...conf.voters, ...conf.learners].includes(self)) continue;
      await restoreGroup(storage, options.from, saved, conf, group === META_GROUP ? layout.map : null);
      hosted.push(group);
    }
    // Last: a directory that says "restored" holds every group this node was given.
    storage.settleSetting(ORIGIN_SETTING, RESTORED_ORIGIN);
    return hosted;
  } finally {
    storage.close();
  }
}

async function restoreGroup(storage: NodeStorage, from: string, saved: BackupGroup, conf: ConfState, map: RestoreLayout['map']): Promise<void> {
  const group = groupId(saved.group);
  const dir = storage.db.snapshotDir;
  // Not named g<group>-...: openGroup removes such files unless a row names them.
  const extracted = join(dir, `restore-${group}.tmp`);
  await extractGroup(from, saved, extracted);
  try {
    const replace = map === null ? {} : { replace: { key: MAP_KEY, value: new TextEncoder().encode(JSON.stringify(map)) } };
    const target = join(dir, `restore-${group}.rewritten.tmp`);
    const { meta, bytes } = await rewriteSnapshot(extracted, target, { conf, ...replace }).catch((error: unknown) => {
      // The snapshot reader asserts, as it trusts files this node wrote; bytes from an archive are
      // input, so a bad one (checksums intact, so written wrong, not damaged) is a refusal instead.
      throw new BackupError(`Backup ${from} group ${group} does not hold a valid raftkv snapshot: ${error instanceof Error ? error.message : String(error)}`);
    });
    const file = snapshotFileName(group, meta, 'received');
    renameSync(target, join(dir, file));
    storage.stageSnapshotFile(group, meta, file, bytes);
    const opened = await storage.openGroup(group, joinerState());
    storage.db.transaction(() => opened.log.setHardState({ term: meta.term, vote: null, commit: meta.index }));
    storage.closeGroup(group);
  } finally {
    rmSync(extracted, { force: true });
  }
}
