/**
 * Which group serves a request. In sharded mode a key's group comes from the shard map (hash of
 * the key or its {tag}); a request for a group this node does not host gets WRONG_SHARD with the
 * map's epoch, so the client refreshes its map. Multi-key writes (txn, batch) must stay in one
 * group; the error names the groups so the caller can add a hash tag or split the batch.
 * In single-group mode (--groups 0) every key lives in group 0.
 */
import { KvError } from '../shared/errors.js';
import { groupId, type GroupId } from '../shared/ids.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { KeyHasher } from '../shard/hash-ring.js';
import { groupForKey, type ShardMap } from '../shard/shard-map.js';

const SINGLE_GROUP = groupId(0);

export interface MapSource {
  readonly sharded: boolean;
  current(): ShardMap | null;
}

export class Router {
  constructor(
    private readonly host: NodeHost,
    private readonly maps: MapSource,
    private readonly hasher: KeyHasher | null,
  ) {}

  get sharded(): boolean {
    return this.maps.sharded;
  }

  get epoch(): number {
    return this.maps.current()?.epoch ?? 0;
  }

  shardMap(): ShardMap | null {
    return this.maps.current();
  }

  groupOf(key: Uint8Array): GroupId {
    if (!this.maps.sharded || this.hasher === null) return SINGLE_GROUP;
    return groupForKey(this.requireMap(), this.hasher, key);
  }

  dataGroups(): GroupId[] {
    return this.maps.sharded ? this.requireMap().ring.groups().sort((a, b) => a - b) : [SINGLE_GROUP];
  }

  /** The ring range this node's map gives `group`, or null when unsharded or unknown. */
  rangeOf(group: GroupId): { start: number; end: number } | null {
    const range = this.maps.current()?.ring.ranges.find((r) => r.group === group);
    return range === undefined ? null : { start: range.start, end: range.end };
  }

  private requireMap(): ShardMap {
    const map = this.maps.current();
    if (map === null) throw new KvError('WRONG_SHARD', 'Cannot serve the request here: this node has joined but has no shard map yet; ask another node', { ringEpoch: 0 });
    return map;
  }

  /**
   * The local replica of `group`, or WRONG_SHARD. Right after a split the map already names the
   * new group but its replicas are born only when the parent applies the split; until then the
   * parent still owns the key (its descriptor says so, and it checks again when it applies or
   * reads), so a request for `key` goes to the hosted group that owns it.
   */
  local(group: GroupId, key?: Uint8Array): GroupDriver {
    const driver = this.host.group(group) ?? (key === undefined ? undefined : this.owner(key));
    if (driver === undefined) {
      throw new KvError('WRONG_SHARD', `Cannot serve the request here: group ${group} has no replica on this node (shard map epoch ${this.epoch})`, { ringEpoch: this.epoch, group });
    }
    return driver;
  }

  private owner(key: Uint8Array): GroupDriver | undefined {
    for (const driver of this.host.allGroups()) {
      if (driver.storage.kv.descriptor() !== null && driver.storage.kv.owns(key)) return driver;
    }
    return undefined;
  }

  /** The one group all `keys` belong to, or INVALID_ARGUMENT naming the groups involved. */
  groupOfAll(keys: readonly Uint8Array[], what: string): GroupId {
    const groups = new Map<GroupId, string>();
    for (const key of keys) groups.set(this.groupOf(key), new TextDecoder().decode(key.subarray(0, 32)));
    if (groups.size <= 1) return groups.keys().next().value ?? this.groupOf(new Uint8Array(0));
    const listed = [...groups].map(([g, k]) => `group ${g} (e.g. key "${k}")`).join(', ');
    throw new KvError('INVALID_ARGUMENT', `Cannot run ${what} across groups: its keys belong to ${listed}; give related keys a common {hash tag}`, { field: 'key' });
  }
}
