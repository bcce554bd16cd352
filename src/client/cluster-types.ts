/**
 * Results of the operator calls (Kv.Status and the Cluster service) and their decoding.
 */
import type { Message } from './kv-stub.js';
import { boolField, decodeHeader, field, listField, stringField, u64, type ResponseHeader } from './wire.js';

/**
 * One member of a Raft group.
 *
 * @example
 * ```ts
 * for (const m of (await client.members()).members) console.log(m.nodeId, m.address, m.isLearner);
 * ```
 */
export interface Member {
  readonly nodeId: number;
  /** host:port serving clients and peers; empty when the server does not know it. */
  readonly address: string;
  /** Receives the log but does not vote. */
  readonly isLearner: boolean;
}

/**
 * A node's Raft role in the group.
 *
 * @example
 * ```ts
 * if ((await client.status()).role === 'leader') console.log('asked the leader');
 * ```
 */
export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader' | 'unknown';

/**
 * One node's view of the group, from the Status call.
 *
 * @example
 * ```ts
 * const s = await client.status('127.0.0.1:7001');
 * console.log(`${s.role} in term ${s.term}, leader ${s.leaderId}, ${s.latencyMs.toFixed(1)} ms`);
 * ```
 */
export interface EndpointStatus {
  readonly endpoint: string;
  readonly nodeId: number;
  readonly role: Role;
  /** 0 when the node knows no leader. */
  readonly leaderId: number;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly revision: number;
  readonly dbSizeBytes: number;
  /** Server release, e.g. "0.1.0". */
  readonly version: string;
  readonly members: readonly Member[];
  /** Round trip of the Status call. */
  readonly latencyMs: number;
}

/**
 * The group's membership as one node knows it, and the leader it believes in.
 *
 * @example
 * ```ts
 * const { members, leaderId } = await client.members();
 * ```
 */
export interface MemberList {
  readonly members: readonly Member[];
  /** 0 when the answering node knows no leader. */
  readonly leaderId: number;
  readonly header: ResponseHeader;
}

const ROLES: Readonly<Record<string, Role>> = {
  ROLE_FOLLOWER: 'follower', ROLE_PRE_CANDIDATE: 'pre-candidate', ROLE_CANDIDATE: 'candidate', ROLE_LEADER: 'leader',
};

export function decodeMember(message: unknown): Member {
  return { nodeId: u64(message, 'nodeId'), address: stringField(message, 'address'), isLearner: boolField(message, 'isLearner') };
}

export function decodeStatus(endpoint: string, response: Message, latencyMs: number): EndpointStatus {
  const header = decodeHeader(response);
  return {
    endpoint, nodeId: header.nodeId, role: ROLES[String(field(response, 'role'))] ?? 'unknown',
    leaderId: u64(response, 'leaderId'), term: header.raftTerm, commitIndex: u64(response, 'commitIndex'),
    appliedIndex: u64(response, 'appliedIndex'), revision: header.revision, dbSizeBytes: u64(response, 'dbSizeBytes'),
    version: stringField(response, 'version'), members: listField(response, 'members').map(decodeMember), latencyMs,
  };
}

export function decodeMemberList(response: Message): MemberList {
  return { members: listField(response, 'members').map(decodeMember), leaderId: u64(response, 'leaderId'), header: decodeHeader(response) };
}

/**
 * One chunk of a snapshot stream; the first carries the snapshot's log position and size.
 *
 * @example
 * ```ts
 * for await (const chunk of client.snapshotSave()) file.write(chunk.data);
 * ```
 */
export interface SnapshotChunk {
  readonly data: Uint8Array;
  /** Set on the first chunk only. */
  readonly meta?: { readonly index: number; readonly term: number; readonly totalBytes: number };
}

export function decodeSnapshotChunk(message: Message, first: boolean): SnapshotChunk {
  const data = field(message, 'data');
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(0);
  if (!first) return { data: bytes };
  return { data: bytes, meta: { index: u64(message, 'index'), term: u64(message, 'term'), totalBytes: u64(message, 'totalBytes') } };
}

/**
 * Keys whose ring position is in [start, end) belong to `group`. A key's ring position is the top
 * 48 bits of xxHash64 of the key, or of its {hash tag} (docs/sharding.md).
 *
 * @example
 * ```ts
 * const share = (r: ShardRange) => (r.end - r.start) / 2 ** 48;
 * ```
 */
export interface ShardRange {
  readonly start: number;
  readonly end: number;
  readonly group: number;
}

/**
 * One data group of the shard map.
 *
 * @example
 * ```ts
 * for (const g of (await client.shardMap()).groups) console.log(g.group, g.replicas.join(','), g.leaderId);
 * ```
 */
export interface ShardGroup {
  readonly group: number;
  /** replicas[0] is the preferred leader. */
  readonly replicas: readonly number[];
  /** 0 when unknown. */
  readonly leaderId: number;
  readonly term: number;
  /** The applied membership as the answering node knows it (empty: not hosted there); differs from `replicas` during a move. */
  readonly voters?: readonly number[];
  readonly learners?: readonly number[];
}

/**
 * The cluster's shard map: ring ranges, groups, and every node's address. Epoch 0 is an unsharded
 * cluster: no ranges, one group 0 holding every key.
 *
 * @example
 * ```ts
 * const map = await client.shardMap();
 * console.log(`epoch ${map.epoch}: ${map.groups.length} groups on ${map.nodes.length} nodes`);
 * ```
 */
export interface ShardMapInfo {
  readonly epoch: number;
  readonly ranges: readonly ShardRange[];
  readonly groups: readonly ShardGroup[];
  readonly nodes: readonly Member[];
  /** Node states of a sharded cluster ("active", "decommissioning"); absent from older servers. */
  readonly nodeStates?: readonly { readonly nodeId: number; readonly state: string }[];
  readonly balancerPaused?: boolean;
}

/** What an old server without the ShardMap call is: unsharded. */
export const UNSHARDED_MAP: ShardMapInfo = { epoch: 0, ranges: [], groups: [], nodes: [] };

export function decodeShardMap(response: Message): ShardMapInfo {
  return {
    epoch: u64(response, 'epoch'),
    ranges: listField(response, 'ranges').map((r) => ({ start: u64(r, 'start'), end: u64(r, 'end'), group: u64(r, 'groupId') })),
    groups: listField(response, 'groups').map((g) => ({
      group: u64(g, 'groupId'), replicas: listField(g, 'replicas').map((n) => u64({ n }, 'n')), leaderId: u64(g, 'leaderId'), term: u64(g, 'term'),
      voters: listField(g, 'voters').map((n) => u64({ n }, 'n')), learners: listField(g, 'learners').map((n) => u64({ n }, 'n')),
    })),
    nodes: listField(response, 'nodes').map(decodeMember),
    nodeStates: listField(response, 'nodeStates').map((n) => ({ nodeId: u64(n, 'nodeId'), state: String((n as Record<string, unknown>)['state'] ?? '') })),
    balancerPaused: response['balancerPaused'] === true,
  };
}

/**
 * Several nodes' answers as one map: ranges and nodes of the newest epoch; for each group, the
 * word of the node at the highest term (a node knows the leaders of the groups it hosts only).
 *
 * @example
 * ```ts
 * mergeShardMaps([fromNode1, fromNode2]).groups.every((g) => g.leaderId > 0);
 * ```
 */
export function mergeShardMaps(maps: readonly ShardMapInfo[]): ShardMapInfo {
  const newest = maps.reduce<ShardMapInfo>((best, m) => (m.epoch > best.epoch ? m : best), maps[0] ?? UNSHARDED_MAP);
  // The highest term wins (an older term's leader is gone); at one term, the answer naming a leader.
  const better = (a: ShardGroup, b: ShardGroup): ShardGroup => {
    if (a.term !== b.term) return b.term > a.term ? b : a;
    return a.leaderId === 0 && b.leaderId > 0 ? b : a;
  };
  const groups = newest.groups.map((group) => {
    const seen = maps.filter((m) => m.epoch === newest.epoch).flatMap((m) => m.groups.filter((g) => g.group === group.group));
    const best = seen.reduce(better, group);
    return { ...group, leaderId: best.leaderId, term: best.term, voters: best.voters ?? [], learners: best.learners ?? [] };
  });
  return { ...newest, groups };
}

/**
 * One alarm a node reports (`kvctl alarm list`): NOSPACE (its space quota is reached: writes that
 * add data are refused) or CORRUPT (a replica failed the consistency check).
 *
 * @example
 * ```ts
 * for (const a of (await client.alarms('127.0.0.1:7001')).alarms) console.log(a.nodeId, a.kind, a.reason);
 * ```
 */
export interface AlarmInfo {
  /** The node that raised it. */
  readonly nodeId: number;
  readonly kind: string;
  /** The group whose replica it concerns; null: the whole node. */
  readonly group: number | null;
  readonly reason: string;
  readonly raisedAtMs: number;
}

/** What one node answers to ListAlarms or DisarmAlarm. */
export interface NodeAlarms {
  readonly endpoint: string;
  readonly nodeId: number;
  /** Its own alarms, then (ListAlarms only) the other nodes' NOSPACE alarms it learned. */
  readonly alarms: readonly AlarmInfo[];
  /** ListAlarms: the node's --quota-bytes (0: none) and the bytes its database uses. */
  readonly quotaBytes: number;
  readonly usedBytes: number;
  /** DisarmAlarm: how many alarms it disarmed. */
  readonly disarmed: number;
}

function decodeAlarm(message: unknown): AlarmInfo {
  return {
    nodeId: u64(message, 'nodeId'), kind: stringField(message, 'kind'), group: boolField(message, 'hasGroup') ? u64(message, 'groupId') : null,
    reason: stringField(message, 'reason'), raisedAtMs: u64(message, 'raisedAtMs'),
  };
}

export function decodeNodeAlarms(endpoint: string, response: Message): NodeAlarms {
  return {
    endpoint, nodeId: u64(response, 'nodeId'), alarms: listField(response, 'alarms').map(decodeAlarm),
    quotaBytes: u64(response, 'quotaBytes'), usedBytes: u64(response, 'usedBytes'), disarmed: u64(response, 'disarmed'),
  };
}
