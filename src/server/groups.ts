/**
 * The Raft groups this node hosts: which to open at start (whatever is on disk, plus, for a
 * founder, its share of the initial placement), how to open one (storage, core, driver), and
 * creating a replica when a leader first contacts this node about a group it does not have yet
 * (how a replica added by a membership change comes to exist). Peers to dial are the union of
 * every group's recorded member addresses and the configured founders.
 */
import { randomInt } from 'node:crypto';
import { nodeId, type GroupId, type NodeId } from '../shared/ids.js';
import { coreLoggerFrom, type Logger } from '../shared/logger.js';
import { SeededRng } from '../shared/rng.js';
import { founderState, joinerState, type InitialState } from '../raft/bootstrap.js';
import { defaultTuning } from '../raft/config.js';
import type { RaftMessage } from '../raft/messages.js';
import { RaftNode } from '../raft/node.js';
import { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { NodeStorage } from '../storage/node-storage.js';
import { META_GROUP, metaReplicas } from '../shard/placement.js';
import type { ShardMap } from '../shard/shard-map.js';
import type { RingBounds } from '../storage/apply-state.js';
import type { ServerConfig } from './config.js';
import { WarnLimiter } from '../transport/warn-limiter.js';

const REFUSAL_WARN_INTERVAL_MS = 10_000;

/**
 * Whether a message from a leader may create a replica here. The meta group always (a joining
 * node gets its first replica that way); on an unsharded cluster nothing else exists; on a sharded
 * one only a group the node's copy of the shard map places here: otherwise any member could make
 * every node create empty replicas of any group id it names. The balancer edits the map before
 * the mover adds a replica, so a lagging copy only delays the creation until the leader retries.
 * Groups born of a split come from the split entry (adoptChild), not from here.
 */
export function mayCreateReplica(group: GroupId, map: ShardMap | null, self: NodeId, sharded: boolean): boolean {
  if (group === META_GROUP) return true;
  if (!sharded || map === null) return false;
  return map.placements.get(group)?.replicas.includes(self) ?? false;
}
import { clientAddressOf } from '../shared/member-address.js';

export interface GroupSetOptions {
  readonly config: ServerConfig;
  readonly self: NodeId;
  readonly storage: NodeStorage;
  readonly host: NodeHost;
  readonly configured: ReadonlyMap<NodeId, string>;
  /** The founders' initial shard map, or null in single-group mode (everything in group 0). */
  readonly initialMap: ShardMap | null;
  /** This node founds its groups from its configuration (false with --join or a restored data dir). */
  readonly founding: boolean;
  readonly log: Logger;
  readonly onPeersChanged: (peers: Map<NodeId, string>) => void;
}

export class GroupSet {
  private readonly opening = new Set<GroupId>();
  /** Replicas a leader asked this node to create that the shard map does not place here. */
  replicasRefused = 0;
  private readonly refusals: WarnLimiter;

  constructor(private readonly options: GroupSetOptions) {
    this.refusals = new WarnLimiter(options.log, REFUSAL_WARN_INTERVAL_MS);
  }

  /** Groups to open at start: everything on disk, plus a founder's initial share. */
  initialGroups(): GroupId[] {
    const { founding, storage } = this.options;
    const groups = new Set(storage.storedGroups());
    if (founding) for (const group of this.foundedGroups().keys()) groups.add(group);
    return [...groups].sort((a, b) => a - b);
  }

  /** Founding replica sets this node belongs to (used only when it founds, see `founding`). */
  private foundedGroups(): Map<GroupId, readonly NodeId[]> {
    const { self, configured, initialMap } = this.options;
    const founders = [...configured.keys()];
    const out = new Map<GroupId, readonly NodeId[]>();
    if (initialMap === null) {
      out.set(META_GROUP, founders);
      return out;
    }
    if (metaReplicas(founders).includes(self)) out.set(META_GROUP, metaReplicas(founders));
    for (const placement of initialMap.placements.values()) {
      if (placement.replicas.includes(self)) out.set(placement.group, placement.replicas);
    }
    return out;
  }

  private initialStateOf(group: GroupId): InitialState {
    const replicas = this.options.founding ? this.foundedGroups().get(group) : undefined;
    if (replicas === undefined) return joinerState();
    const addresses = Object.fromEntries(replicas.map((id) => [String(id), this.options.configured.get(id) ?? '']).filter(([, a]) => a !== ''));
    return founderState(replicas, [], addresses);
  }

  /** The ring range a founded data group starts with (its descriptor); null otherwise. */
  private initialRangeOf(group: GroupId): RingBounds | null {
    const range = this.options.initialMap?.ring.ranges.find((r) => r.group === group);
    return range === undefined || !this.foundedGroups().has(group) ? null : { start: range.start, end: range.end };
  }

  async open(group: GroupId): Promise<GroupDriver> {
    const { config, storage, host, log, self } = this.options;
    const groupStorage = await storage.openGroup(group, this.initialStateOf(group), this.initialRangeOf(group));
    if (config.groups > 0 && group !== META_GROUP) await storage.ensureSnapshotFile(group);
    const groupLog = log.child({ component: 'raft', group });
    const core = new RaftNode({
      ...defaultTuning,
      id: self,
      storage: groupStorage.log,
      applied: groupStorage.kv.appliedIndex(),
      confState: groupStorage.kv.confState(),
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks,
      leaseReads: config.leaseReads,
      // Data groups of a sharded cluster go quiet when idle; the meta group and an unsharded
      // group keep heartbeating.
      quiesce: config.quiesce && config.groups > 0 && group !== META_GROUP,
      // A replica here was deleted before: no vote until the new log reaches what the group had then.
      voteFloor: storage.tombstone(group)?.applied ?? 0,
      rng: new SeededRng(randomInt(2 ** 47)),
      logger: coreLoggerFrom(groupLog),
    });
    // Leader hints name the client port: the record's peer part is for the transport only.
    const recordOf = (node: NodeId): string | undefined => groupStorage.kv.confState().addresses?.[String(node)] ?? this.options.configured.get(node);
    const addressOf = (node: NodeId): string | undefined => {
      const record = recordOf(node);
      return record === undefined ? undefined : clientAddressOf(record);
    };
    const driver = new GroupDriver({
      group, core, storage: groupStorage, pending: host.pending, addressOf, logger: groupLog,
      onMembership: () => this.options.onPeersChanged(this.peers()),
      onSplitBorn: (child) => this.adoptChild(child),
    });
    host.addGroup(driver);
    const s = core.status();
    groupLog.info({ term: s.term, commit: s.commit, applied: groupStorage.kv.appliedIndex(), index: s.lastIndex }, 'opened group');
    return driver;
  }

  /**
   * A leader's message for a group we do not host: a membership change added us. Create an empty
   * replica (it cannot campaign, and is caught up by snapshot), then deliver the message. Not for a
   * group whose replica this node deleted, unless the leader's term is at least the one recorded
   * then: a leader cut off since before our removal would otherwise count the empty replica as the
   * voter it remembers and regain a majority for stale reads (found by the multi-group simulator).
   */
  onUnknownGroup(group: GroupId, message: RaftMessage, map: ShardMap | null): void {
    const fromLeader = message.type === 'appendEntries' || message.type === 'heartbeat' || message.type === 'installSnapshot';
    if (!fromLeader || this.opening.has(group) || message.term < (this.options.storage.tombstone(group)?.term ?? 0)) return;
    if (!mayCreateReplica(group, map, this.options.self, this.options.config.groups > 0)) {
      this.replicasRefused += 1;
      this.refusals.warn(`group-${message.from}`, { group, peer: message.from, refused: this.replicasRefused },
        'refused to create a replica of a group the shard map does not place on this node');
      return;
    }
    this.opening.add(group);
    this.open(group)
      .then((driver) => {
        driver.core.step(message);
        this.options.host.schedule();
      })
      .catch((err: unknown) => this.options.log.error({ group, err }, 'could not create replica'))
      .finally(() => this.opening.delete(group));
  }

  /**
   * A split entry just wrote a new group's state here (src/storage/split-apply.ts). Replace any
   * empty replica of it that a message created earlier, then open it from its new state.
   */
  adoptChild(child: GroupId): void {
    const { host, storage, log } = this.options;
    this.opening.add(child);
    if (host.removeGroup(child) !== undefined) storage.closeGroup(child);
    this.open(child)
      .then(() => log.info({ group: child }, 'opened group born from a split'))
      .catch((err: unknown) => log.error({ group: child, err }, 'could not open the group born from a split'))
      .finally(() => this.opening.delete(child));
  }

  /** Every member record (member-address.ts) any hosted group knows, over the configured ones; never ourselves. */
  peers(): Map<NodeId, string> {
    const peers = new Map(this.options.configured);
    for (const driver of this.options.host.allGroups()) {
      for (const [id, address] of Object.entries(driver.storage.kv.confState().addresses ?? {})) peers.set(nodeId(Number(id)), address);
    }
    peers.delete(this.options.self);
    return peers;
  }
}
