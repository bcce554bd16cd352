/**
 * The shard map as this node knows it, kept in the meta group (group 0) under one key. Every node
 * of a sharded cluster holds a meta replica (voter or learner, see replica-mover.ts), so reading
 * the map is a local read of applied state: it may lag the meta leader by a moment, which is
 * safe because the groups themselves refuse keys they do not own (their descriptors), and a
 * stale map only costs the client a WRONG_SHARD and a refresh.
 *
 * Changes happen only on the meta leader: confirm leadership, read, edit, and write back with a
 * compare on the key's version, so two editors (the balancer and an operator's call) cannot
 * overwrite each other. Until the first change, the map is the founders' derived epoch-1 map.
 */
import { KvError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import { META_GROUP } from '../shard/placement.js';
import { shardMapFromJson, shardMapToJson, type ShardMap, type ShardMapJson } from '../shard/shard-map.js';
import { compareAndPut, confirmRead } from './group-calls.js';

/** The meta group key that holds the shard map (JSON). */
export const MAP_KEY = new TextEncoder().encode('shard-map');
const CAS_ATTEMPTS = 5;

export type MapEdit = (map: ShardMap) => ShardMap | null;

export class MetaMap {
  private cached: { revision: number; map: ShardMap | null } | null = null;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: NodeHost,
    /** The founders' derived map; null on a node that joined (it waits for its meta replica). */
    private readonly initial: ShardMap | null,
    private readonly log: Logger,
    /** False on an unsharded cluster: group 0 is then the data group and holds no map. */
    readonly sharded: boolean,
  ) {}

  /** The newest map this node has applied, or null when it has none (yet, or unsharded). */
  current(): ShardMap | null {
    if (!this.sharded) return null;
    const meta = this.host.group(META_GROUP);
    if (meta === undefined || meta.installing) return this.cached?.map ?? this.initial;
    const revision = meta.storage.kv.revision();
    if (this.cached?.revision !== revision) this.cached = { revision, map: this.read(meta).map };
    return this.cached.map;
  }

  metaDriver(): GroupDriver | undefined {
    return this.host.group(META_GROUP);
  }

  /** Applies `edit` on the meta leader; resolves with the resulting map (unchanged if `edit` returns null). */
  change(edit: MapEdit, deadlineMs: number): Promise<ShardMap> {
    const run = this.writing.then(() => this.changeNow(edit, deadlineMs));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async changeNow(edit: MapEdit, deadlineMs: number): Promise<ShardMap> {
    const meta = this.host.group(META_GROUP);
    if (meta === undefined) throw new KvError('WRONG_SHARD', 'Cannot change the shard map here: this node has no replica of the meta group yet', { group: META_GROUP });
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      await confirmRead(this.host, meta, deadlineMs);
      const { map, version } = this.read(meta);
      if (map === null) throw new KvError('INVALID_ARGUMENT', 'Cannot change the shard map: this cluster is not sharded (started with --groups 0)', { field: 'groupId' });
      const edited = edit(map);
      if (edited === null) return map;
      if (await compareAndPut(this.host, meta, MAP_KEY, version, JSON.stringify(shardMapToJson(edited)), deadlineMs)) {
        this.log.info({ group: META_GROUP, epoch: edited.epoch }, 'shard map changed');
        return edited;
      }
    }
    throw new KvError('OVERLOADED', `Cannot change the shard map: ${CAS_ATTEMPTS} attempts met concurrent changes; retry`);
  }

  private read(meta: GroupDriver): { map: ShardMap | null; version: number } {
    const { kv } = meta.storage.kv.get(MAP_KEY);
    if (kv === null) return { map: this.initial, version: 0 };
    const json = JSON.parse(new TextDecoder().decode(kv.value)) as ShardMapJson;
    return { map: shardMapFromJson(json), version: kv.version };
  }
}
