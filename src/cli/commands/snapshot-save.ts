/**
 * `kvctl snapshot save FILE`: one backup archive (src/shared/backup-archive.ts) holding every
 * group's snapshot: the meta group first (it holds the shard map), then each data group, streamed
 * from its leader (or a replica when no leader is known). Each group's snapshot is consistent at
 * its own applied index, recorded in the manifest; groups are not frozen at one common instant
 * (as with etcd, a backup of each Raft group is a point in that group's log). A split or replica
 * move during the save would make the groups disagree with the saved map, so the save fails if
 * the map epoch changed meanwhile. Writes FILE.part and renames it at the end, so FILE is never
 * a partial archive.
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { KvError, type KvClient, type ShardMapInfo, type SnapshotSaveOptions } from '../../client/kv-client.js';
import { BackupWriter, type BackupManifest } from '../../shared/backup-archive.js';
import type { CommandContext } from './context.js';

const META_GROUP = 0;

interface GroupSource {
  readonly group: number;
  readonly replicas: readonly number[];
  /** Where to stream it from; undefined: the client finds the group's leader. */
  readonly endpoint?: string;
}

/** The groups to save, meta (or the one unsharded group) first, with a node to ask for each. */
export function groupSources(map: ShardMapInfo): GroupSource[] {
  if (map.epoch === 0) return [{ group: META_GROUP, replicas: [] }];
  const addressOf = (node: number): string | undefined => map.nodes.find((n) => n.nodeId === node)?.address || undefined;
  const data = map.groups.map((g) => {
    const endpoint = addressOf(g.leaderId) ?? g.replicas.map(addressOf).find((a) => a !== undefined);
    return { group: g.group, replicas: g.replicas, ...(endpoint === undefined ? {} : { endpoint }) };
  });
  return [{ group: META_GROUP, replicas: [] }, ...data.sort((a, b) => a.group - b.group)];
}

/** A group whose snapshot is being produced or installed answers OVERLOADED; try again this often. */
const GROUP_ATTEMPTS_MAX = 5;
const GROUP_RETRY_MS = 500;

interface Streamed {
  index: number;
  term: number;
  bytes: number;
}

async function* chunksOf(client: KvClient, options: SnapshotSaveOptions, streamed: Streamed): AsyncGenerator<Uint8Array> {
  for await (const chunk of client.snapshotSave(options)) {
    if (chunk.meta !== undefined) {
      streamed.index = chunk.meta.index;
      streamed.term = chunk.meta.term;
    }
    streamed.bytes += chunk.data.byteLength;
    yield chunk.data;
  }
}

async function saveGroup(client: KvClient, writer: BackupWriter, source: GroupSource, deadlineMs: number): Promise<void> {
  const options: SnapshotSaveOptions = { group: source.group, deadlineMs, ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }) };
  for (let attempt = 1; ; attempt++) {
    const streamed: Streamed = { index: 0, term: 0, bytes: 0 };
    try {
      await writer.addGroup(chunksOf(client, options, streamed), () => ({ group: source.group, index: streamed.index, term: streamed.term, replicas: source.replicas }));
      return;
    } catch (error) {
      // Only a refusal before the first byte can be retried: later, the archive holds part of it.
      const busy = error instanceof KvError && error.code === 'OVERLOADED' && streamed.bytes === 0;
      if (!busy || attempt >= GROUP_ATTEMPTS_MAX) throw error;
      await new Promise((resolve) => setTimeout(resolve, GROUP_RETRY_MS));
    }
  }
}

async function saveGroups(context: CommandContext, writer: BackupWriter, map: ShardMapInfo): Promise<void> {
  for (const source of groupSources(map)) await saveGroup(context.client(), writer, source, context.timeoutMs);
}

export async function saveBackup(context: CommandContext, file: string): Promise<BackupManifest & { readonly bytes: number }> {
  const client = context.client();
  const map = await client.shardMap({ deadlineMs: context.timeoutMs });
  const part = `${file}.part`;
  const writer = await BackupWriter.create(part);
  try {
    await saveGroups(context, writer, map);
    const after = await client.shardMap({ deadlineMs: context.timeoutMs });
    if (after.epoch !== map.epoch) {
      throw new Error(`Cannot save a consistent backup: the shard map changed from epoch ${map.epoch} to ${after.epoch} during the save (a split or move); save again`);
    }
    const manifest = await writer.finish({ sharded: map.epoch > 0, epoch: map.epoch, ring: map.ranges.map((r) => ({ start: r.start, end: r.end, group: r.group })) });
    renameSync(part, file);
    return { ...manifest, bytes: statSync(file).size };
  } catch (error) {
    await writer.abort().catch(() => undefined);
    rmSync(part, { force: true });
    throw error;
  }
}
