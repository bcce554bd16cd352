/**
 * The operator calls behind KvClient: Status of one or any node, the Cluster service (membership,
 * leadership transfer, snapshot streaming) and a per-endpoint health probe. Membership changes
 * and transfers go to the leader like writes; they carry no session, so they are retried only
 * when they certainly did not apply (NOT_LEADER, NO_LEADER, no connection).
 */
import type { CallRunner, CallSpec, Route } from './call-runner.js';
import {
  decodeMemberList, decodeNodeAlarms, decodeShardMap, decodeSnapshotChunk, decodeStatus, mergeShardMaps, UNSHARDED_MAP,
  type EndpointStatus, type MemberList, type NodeAlarms, type ShardMapInfo, type SnapshotChunk,
} from './cluster-types.js';
import { GRPC_STATUS, KvClientError, UnreachableError } from './errors.js';
import type { LeaderCache } from './leader-cache.js';
import type { ClusterMethod, Message } from './kv-stub.js';
import type { EndpointPool } from './endpoint-pool.js';
import type { WriteOptions } from './options.js';
import { decodeHeader, toBytes } from './wire.js';

/** What the calls here share with KvClient. */
export interface ClientCore {
  readonly runner: CallRunner;
  readonly pool: EndpointPool;
  readonly leaders: LeaderCache;
  deadlineMs(options: { readonly deadlineMs?: number }): number;
}

/**
 * The group operator calls address unless told otherwise: the one group of an unsharded cluster,
 * the meta group of a sharded one (data calls route by the shard map instead: data-calls.ts).
 */
export const GROUP = 0;

/** Options of operator calls. */
export type AdminOptions = WriteOptions;

/**
 * Options of calls about one group; `group` defaults to 0.
 *
 * @example
 * ```ts
 * await client.status('127.0.0.1:7001', { group: 3, deadlineMs: 1_000 });
 * ```
 */
export interface GroupOptions extends AdminOptions {
  readonly group?: number;
}

/** A node that does not answer the shard map within this is skipped for the next endpoint. */
const SHARD_MAP_ATTEMPT_MS_MAX = 1_000;

function signalOf(options: WriteOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

export async function status(core: ClientCore, endpoint: string | undefined, options: GroupOptions = {}): Promise<EndpointStatus> {
  let latencyMs = 0;
  const route: Route = endpoint === undefined ? 'leader' : { endpoint };
  const group = options.group ?? GROUP;
  const { response, endpoint: answered } = await core.runner.run({
    name: 'status call', kind: 'read', route, group, answeredByLeader: false, request: { groupId: String(group) },
    send: async (stub, request, callOptions) => {
      const started = performance.now();
      const reply = await stub.call('Status', request, callOptions);
      latencyMs = performance.now() - started;
      return reply;
    },
    deadlineMs: core.deadlineMs(options), ...signalOf(options), ...(endpoint === undefined ? {} : { attemptsMax: 1 }),
  });
  const decoded = decodeStatus(answered, response, latencyMs);
  if (decoded.role === 'leader') core.leaders.observe(group, { term: decoded.term, leaderId: decoded.nodeId, address: answered });
  return decoded;
}

/**
 * The shard map from one node (`endpoint`), or from any configured endpoint, first one first.
 * A server without the ShardMap call is unsharded (epoch 0).
 */
export async function fetchShardMap(core: ClientCore, deadlineMs: number, signal?: AbortSignal, endpoint?: string): Promise<ShardMapInfo> {
  try {
    const { response } = await core.runner.run({
      name: 'shard map fetch', kind: 'read', route: endpoint === undefined ? 'any' : { endpoint }, group: GROUP, answeredByLeader: false,
      request: {}, candidates: () => core.pool.endpoints, deadlineMs, ...(signal === undefined ? {} : { signal }),
      send: (stub, r, o) => stub.callCluster('ShardMap', r, { ...o, deadlineMs: Math.min(o.deadlineMs, SHARD_MAP_ATTEMPT_MS_MAX) }),
      ...(endpoint === undefined ? {} : { attemptsMax: 1 }),
    });
    return decodeShardMap(response);
  } catch (error) {
    if (error instanceof KvClientError && error.grpcCode === GRPC_STATUS.UNIMPLEMENTED) return UNSHARDED_MAP;
    throw error;
  }
}

/**
 * The shard map with each group's leader as the nodes hosting it know it: asks one endpoint, then
 * every other node the map lists (a node reports leaders only of the groups it hosts), and keeps
 * the newest word on each group. Nodes that do not answer are skipped.
 */
export async function shardMap(core: ClientCore, options: AdminOptions = {}): Promise<ShardMapInfo> {
  const deadlineMs = core.deadlineMs(options);
  const first = await fetchShardMap(core, deadlineMs, options.signal);
  const others = first.nodes.map((n) => n.address).filter((address) => address !== '');
  const answers = await Promise.allSettled(others.map((address) => fetchShardMap(core, deadlineMs, options.signal, address)));
  return mergeShardMaps([first, ...answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []))]);
}

function clusterSpec(core: ClientCore, name: string, method: ClusterMethod, request: Message, options: AdminOptions, change: boolean): CallSpec {
  return {
    name, kind: change ? 'write' : 'read', route: 'leader', group: GROUP, answeredByLeader: change && method !== 'LeaderTransfer',
    request: { groupId: String(GROUP), ...request }, send: (stub, r, o) => stub.callCluster(method, r, o),
    deadlineMs: core.deadlineMs(options), ...signalOf(options),
  };
}

/** MemberList through the leader if known; falls back to Status on servers without the Cluster service. */
export async function members(core: ClientCore, options: AdminOptions = {}): Promise<MemberList> {
  try {
    const { response } = await core.runner.run(clusterSpec(core, 'member list', 'MemberList', {}, options, false));
    return decodeMemberList(response);
  } catch (error) {
    if (!(error instanceof KvClientError) || error.grpcCode !== GRPC_STATUS.UNIMPLEMENTED) throw error;
    const s = await status(core, undefined, options);
    return { members: s.members, leaderId: s.leaderId, header: { groupId: GROUP, revision: s.revision, raftTerm: s.term, nodeId: s.nodeId, serializable: false } };
  }
}

export type MembershipChange =
  | { readonly type: 'add'; readonly nodeId: number; readonly address: string; readonly voter: boolean }
  | { readonly type: 'promote' | 'remove'; readonly nodeId: number };

const CHANGE_METHODS = { add: 'MemberAdd', promote: 'MemberPromote', remove: 'MemberRemove' } as const;

export async function changeMembership(core: ClientCore, change: MembershipChange, options: AdminOptions = {}): Promise<MemberList> {
  const request: Message = change.type === 'add'
    ? { nodeId: String(change.nodeId), address: change.address, voter: change.voter }
    : { nodeId: String(change.nodeId) };
  const spec = clusterSpec(core, `member ${change.type} of node ${change.nodeId}`, CHANGE_METHODS[change.type], request, options, true);
  const { response } = await core.runner.run(spec);
  const header = decodeHeader(response);
  return { members: decodeMemberList(response).members, leaderId: header.nodeId, header };
}

/** Moves leadership to `target`; resolves once it leads. */
export async function leaderTransfer(core: ClientCore, target: number, options: AdminOptions = {}): Promise<{ leaderId: number; term: number }> {
  const spec = clusterSpec(core, `leader transfer to node ${target}`, 'LeaderTransfer', { targetNodeId: String(target) }, options, true);
  const { response } = await core.runner.run(spec);
  const header = decodeHeader(response);
  // The old leader answered once it saw `target` lead, so its term is the new leader's term.
  core.leaders.observe(GROUP, { term: header.raftTerm, leaderId: target });
  return { leaderId: target, term: header.raftTerm };
}

/**
 * Options of snapshotSave: which group (default 0) and which node to stream it from (default: the
 * group's leader if cached, else a node that answers Status for the group).
 */
export interface SnapshotSaveOptions extends AdminOptions {
  readonly group?: number;
  readonly endpoint?: string;
}

/** Streams a snapshot of one group from one node that hosts a replica of it. */
export async function* snapshotSave(core: ClientCore, options: SnapshotSaveOptions = {}): AsyncGenerator<SnapshotChunk> {
  const group = options.group ?? GROUP;
  const endpoint = options.endpoint ?? core.leaders.leaderAddress(group) ?? (await status(core, undefined, { ...options, group })).endpoint;
  let first = true;
  for await (const message of core.pool.stub(endpoint).snapshotSave({ groupId: String(group) }, { deadlineMs: core.deadlineMs(options), ...signalOf(options) })) {
    yield decodeSnapshotChunk(message, first);
    first = false;
  }
}

/**
 * One endpoint's health: it answers Status, knows a leader, and serves a linearizable read (which
 * needs a quorum) of group 0: the unsharded group, or the meta group, which every founder hosts
 * (a data key's group may have no replica on this endpoint).
 *
 * @example
 * ```ts
 * const h = await client.health('127.0.0.1:7001');
 * if (!h.healthy) console.error(h.error);
 * ```
 */
export interface EndpointHealth {
  readonly endpoint: string;
  readonly healthy: boolean;
  readonly latencyMs: number;
  readonly error?: string;
}

const HEALTH_KEY = toBytes('health');

export async function health(core: ClientCore, endpoint: string, options: AdminOptions = {}): Promise<EndpointHealth> {
  const started = performance.now();
  const took = (): number => performance.now() - started;
  try {
    const s = await status(core, endpoint, options);
    if (s.leaderId === 0) return { endpoint, healthy: false, latencyMs: took(), error: 'the node knows no leader' };
    await core.runner.run({
      name: 'health read', kind: 'read', route: { endpoint }, group: GROUP, answeredByLeader: false, attemptsMax: 1,
      request: { start: HEALTH_KEY, prefix: true, limit: '1', keysOnly: true, singleGroup: true, groupId: String(GROUP), consistency: 'READ_CONSISTENCY_LINEARIZABLE' },
      send: (stub, r, o) => stub.call('Range', r, o),
      deadlineMs: core.deadlineMs(options), ...signalOf(options),
    });
    return { endpoint, healthy: true, latencyMs: took() };
  } catch (error) {
    const message = error instanceof UnreachableError ? error.reason : error instanceof Error ? error.message : String(error);
    return { endpoint, healthy: false, latencyMs: took(), error: message };
  }
}

/** What a shard-map change answers: the epoch of the map that carries it, and a split's new group. */
export interface ShardMapChange {
  readonly epoch: number;
  /** Split only: the group that owns the upper half. */
  readonly newGroupId: number;
}

export type ShardMapMethod = 'NodeDecommission' | 'BalancerPause' | 'ReplicaMove' | 'Split';

/** A shard-map change, sent to the meta group's leader (sharded clusters only). */
export async function changeShardMap(core: ClientCore, method: ShardMapMethod, request: Message, options: AdminOptions = {}): Promise<ShardMapChange> {
  const spec = { ...clusterSpec(core, `${method} ${JSON.stringify(request)}`, method, request, options, true), answeredByLeader: false };
  const { response } = await core.runner.run(spec);
  return { epoch: Number(response['epoch'] ?? 0), newGroupId: Number(response['newGroupId'] ?? 0) };
}

/**
 * Which alarms `alarmDisarm` clears: of one kind (default every kind), of one group's replica
 * (default every alarm of that kind, node-wide ones included).
 *
 * @example
 * ```ts
 * await client.alarmDisarm('127.0.0.1:7001', { kind: 'NOSPACE' });
 * ```
 */
export interface AlarmDisarmOptions extends AdminOptions {
  readonly kind?: 'NOSPACE' | 'CORRUPT';
  readonly group?: number;
}

/** One endpoint's alarms (its own, then the peers' NOSPACE alarms it learned), its quota and usage. */
export async function alarms(core: ClientCore, endpoint: string, options: AdminOptions = {}): Promise<NodeAlarms> {
  const { response } = await core.runner.run({
    name: 'alarm list', kind: 'read', route: { endpoint }, group: GROUP, answeredByLeader: false, attemptsMax: 1, request: {},
    send: (stub, r, o) => stub.callCluster('ListAlarms', r, o), deadlineMs: core.deadlineMs(options), ...signalOf(options),
  });
  return decodeNodeAlarms(endpoint, response);
}

/** Disarms one endpoint's own alarms; answers how many and what is left. Safe to repeat. */
export async function alarmDisarm(core: ClientCore, endpoint: string, options: AlarmDisarmOptions = {}): Promise<NodeAlarms> {
  const request = { kind: options.kind ?? '', hasGroup: options.group !== undefined, groupId: String(options.group ?? 0) };
  const { response } = await core.runner.run({
    name: 'alarm disarm', kind: 'read', route: { endpoint }, group: GROUP, answeredByLeader: false, attemptsMax: 1, request,
    send: (stub, r, o) => stub.callCluster('DisarmAlarm', r, o), deadlineMs: core.deadlineMs(options), ...signalOf(options),
  });
  return decodeNodeAlarms(endpoint, response);
}
