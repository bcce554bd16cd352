/**
 * gRPC handlers of the operator's Cluster service (proto/raftkv/v1/cluster.proto): membership
 * changes through the Raft log (one at a time, see src/raft/conf-change.ts), leadership transfer,
 * and streaming a consistent snapshot of a group.
 */
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { KvError } from '../shared/errors.js';
import { clientAddressOf, isMemberRecord } from '../shared/member-address.js';
import { groupId, nodeId, type GroupId, type NodeId } from '../shared/ids.js';
import type { ConfChange, ConfState } from '../raft/types.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { NodeStorage } from '../storage/node-storage.js';
import type { TransportStats } from '../transport/peer-transport.js';
import * as req from './requests.js';
import type { Router } from './router.js';
import type { MetaMap } from './meta-map.js';
import { ShardMapCalls } from './shard-map-calls.js';
import type { AlarmCalls } from './alarm-calls.js';
import type { AuthCalls } from './auth-calls.js';
import { groupHashesReply } from './consistency-checker.js';
import { header } from './responses.js';
import { checkedRequest, decoded, serviceError, unary, withDeadline, type Obj, type RpcContext } from './rpc.js';

export interface ClusterServiceOptions extends RpcContext {
  readonly nodeId: number;
  readonly host: NodeHost;
  readonly storage: NodeStorage;
  readonly router: Router;
  readonly maps: MetaMap;
  readonly addressOf: (node: NodeId) => string | undefined;
  readonly transportStats: () => TransportStats;
  /** Addresses from this node's configuration, for members whose address the log does not carry. */
  readonly configuredAddress: (node: NodeId) => string | undefined;
  /** ListAlarms and DisarmAlarm over the node's one Alarms (main.ts). */
  readonly alarmCalls: AlarmCalls;
  /** Login and the replicated users and roles (auth-calls.ts). */
  readonly authCalls: AuthCalls;
}

const SNAPSHOT_STREAM_CHUNK_BYTES = 1024 * 1024;
const TRANSFER_POLL_MS = 10;

export function membersOf(conf: ConfState, configured: (node: NodeId) => string | undefined): Obj[] {
  const member = (node: NodeId, isLearner: boolean): Obj =>
    ({ nodeId: String(node), address: clientAddressOf(conf.addresses?.[String(node)] ?? configured(node) ?? ''), isLearner });
  return [...conf.voters.map((n) => member(n, false)), ...conf.learners.map((n) => member(n, true))];
}

export function createClusterService(options: ClusterServiceOptions): UntypedServiceImplementation {
  const handlers = new ClusterHandlers(options);
  const mapCalls = new ShardMapCalls(options.maps);
  return {
    MemberList: unary(options, 'MemberList', (r) => Promise.resolve(handlers.memberList(r))),
    MemberAdd: unary(options, 'MemberAdd', (r, d) => handlers.memberAdd(r, d)),
    MemberPromote: unary(options, 'MemberPromote', (r, d) => handlers.change(r, d, 'addVoter')),
    MemberRemove: unary(options, 'MemberRemove', (r, d) => handlers.change(r, d, 'removeNode')),
    LeaderTransfer: unary(options, 'LeaderTransfer', (r, d) => handlers.leaderTransfer(r, d)),
    ShardMap: unary(options, 'ShardMap', () => Promise.resolve(handlers.shardMap())),
    NodeStats: unary(options, 'NodeStats', () => Promise.resolve(handlers.nodeStats())),
    NodeJoin: unary(options, 'NodeJoin', (r, d) => mapCalls.nodeJoin(r, d)),
    NodeDecommission: unary(options, 'NodeDecommission', (r, d) => mapCalls.decommission(r, d)),
    BalancerPause: unary(options, 'BalancerPause', (r, d) => mapCalls.pause(r, d)),
    ReplicaMove: unary(options, 'ReplicaMove', (r, d) => mapCalls.move(r, d)),
    Split: unary(options, 'Split', (r, d) => mapCalls.split(r, d)),
    GroupHashes: unary(options, 'GroupHashes', () => Promise.resolve(groupHashesReply(nodeId(options.nodeId), options.host))),
    SnapshotSave: (call: ServerWritableStream<unknown, unknown>) => {
      // grpc-js turns an 'error' emitted on a server stream into the call's status; destroy() would
      // skip sending any status, and the caller would wait for its deadline.
      handlers.snapshotSave(call).catch((error: unknown) => call.emit('error', toStreamError(options, error)));
    },
    ListAlarms: unary(options, 'ListAlarms', (r) => Promise.resolve(options.alarmCalls.list(r))),
    DisarmAlarm: unary(options, 'DisarmAlarm', (r) => Promise.resolve(options.alarmCalls.disarm(r))),
    Authenticate: unary(options, 'Authenticate', (r) => options.authCalls.authenticate(r)),
    AuthStatus: unary(options, 'AuthStatus', (_r, _d, identity) => Promise.resolve(options.authCalls.status(identity))),
    AuthChange: unary(options, 'AuthChange', (r, d) => options.authCalls.change(r, d)),
    AuthList: unary(options, 'AuthList', () => Promise.resolve(options.authCalls.list())),
  };
}

function toStreamError(options: ClusterServiceOptions, error: unknown): Error {
  const mapped = serviceError(options, 'SnapshotSave', error);
  return Object.assign(new Error(mapped?.details ?? 'snapshot failed'), mapped);
}

class ClusterHandlers {
  constructor(private readonly options: ClusterServiceOptions) {}

  private driver(request: Obj): GroupDriver {
    const id = decoded(() => req.uint(request, 'groupId'));
    const driver = this.options.host.group(groupId(id));
    if (driver === undefined) throw new KvError('INVALID_ARGUMENT', `Cannot serve the request: group ${id} is not hosted on this node`, { field: 'groupId' });
    return driver;
  }

  private header(driver: GroupDriver): Obj {
    return { ...header(driver.group, driver.storage.kv.revision(), driver.core.status().term, this.options.nodeId) };
  }

  shardMap(): Obj {
    const { router, host } = this.options;
    const map = router.shardMap();
    const info = (group: GroupId, replicas: readonly NodeId[]): Obj => {
      const status = host.group(group)?.core.status();
      return {
        groupId: String(group), replicas: replicas.map(String), leaderId: String(status?.leader ?? 0), term: String(status?.term ?? 0),
        voters: (status?.conf.voters ?? []).map(String), learners: (status?.conf.learners ?? []).map(String),
      };
    };
    const groups = map === null
      ? [info(groupId(0), host.group(groupId(0))?.core.status().conf.voters ?? [])]
      : [...map.placements.values()].map((p) => info(p.group, p.replicas));
    const nodes = new Set<NodeId>([nodeId(this.options.nodeId)]);
    for (const driver of host.allGroups()) for (const n of [...driver.core.status().conf.voters, ...driver.core.status().conf.learners]) nodes.add(n);
    for (const n of map?.nodes.keys() ?? []) nodes.add(n);
    return {
      epoch: String(router.epoch),
      ranges: (map?.ring.ranges ?? []).map((r) => ({ start: String(r.start), end: String(r.end), groupId: String(r.group) })),
      groups,
      nodes: [...nodes].sort((a, b) => a - b).map((n) => ({ nodeId: String(n), address: clientAddressOf(map?.nodes.get(n)?.address ?? this.options.addressOf(n) ?? ''), isLearner: false })),
      nodeStates: [...(map?.nodes ?? [])].map(([n, entry]) => ({ nodeId: String(n), state: entry.state })),
      balancerPaused: map?.balancerPaused ?? false,
    };
  }

  nodeStats(): Obj {
    const drivers = [...this.options.host.allGroups()];
    const transport = this.options.transportStats();
    const peers = [...transport.peers].map(([node, p]) => ({
      nodeId: String(node), messagesSent: String(p.messagesSent), batchesSent: String(p.batchesSent), bytesSent: String(p.bytesSent),
      messagesReceived: String(p.messagesReceived), batchesReceived: String(p.batchesReceived), bytesReceived: String(p.bytesReceived),
      dropped: String(p.droppedQueueFull + p.droppedOversize + p.droppedMalformed), connected: p.connected,
    }));
    return {
      nodeId: String(this.options.nodeId),
      groups: String(drivers.length),
      groupsLed: String(drivers.filter((d) => d.core.status().role === 'leader').length),
      peers,
      peerMessagesRefused: Object.fromEntries(Object.entries(transport.refusedMessages).map(([reason, n]) => [reason, String(n)])),
    };
  }

  memberList(request: Obj): Obj {
    const driver = this.driver(request);
    const { leader } = driver.core.status();
    return {
      header: this.header(driver), members: membersOf(driver.storage.kv.confState(), this.options.configuredAddress),
      leaderId: String(leader ?? 0), appliedIndex: String(driver.storage.kv.appliedIndex()),
    };
  }

  async memberAdd(request: Obj, deadlineMs: number): Promise<Obj> {
    const address = decoded(() => {
      const value = request['address'];
      if (typeof value !== 'string' || !isMemberRecord(value, /^[^\s:@]+:\d{1,5}$/)) throw new KvError('INVALID_ARGUMENT', `Cannot add member: address must look like host:port or host:port@peerhost:peerport, got "${String(value).slice(0, 100)}"`, { field: 'address' });
      return value;
    });
    return this.change(request, deadlineMs, req.bool(request, 'voter') ? 'addVoter' : 'addLearner', address);
  }

  async change(request: Obj, deadlineMs: number, type: ConfChange['type'], address?: string): Promise<Obj> {
    const driver = this.driver(request);
    const id = decoded(() => req.uint(request, 'nodeId'));
    if (id < 1) throw new KvError('INVALID_ARGUMENT', 'Cannot change membership: nodeId must be 1 or more', { field: 'nodeId' });
    if (type === 'addVoter' && address === undefined && !driver.storage.kv.confState().learners.includes(nodeId(id))) {
      throw new KvError('INVALID_ARGUMENT', `Cannot promote node ${id}: it is not a learner of group ${driver.group}; add it with MemberAdd first`, { field: 'nodeId' });
    }
    const change: ConfChange = { type, node: nodeId(id), ...(address === undefined ? {} : { address }) };
    const proposed = driver.core.proposeConfChange(change);
    if (!proposed.ok) throw driver.errorFromCore(proposed.error);
    const { index, term } = proposed.value;
    this.options.host.schedule();
    await withDeadline(driver.proposals.track(index, term), deadlineMs, () => driver.proposals.cancel(index),
      () => new KvError('TIMEOUT', `Cannot tell whether the membership change applied: the deadline of ${deadlineMs} ms passed (outcome unknown)`));
    return { header: this.header(driver), members: membersOf(driver.storage.kv.confState(), this.options.configuredAddress) };
  }

  async leaderTransfer(request: Obj, deadlineMs: number): Promise<Obj> {
    const driver = this.driver(request);
    const target = decoded(() => req.uint(request, 'targetNodeId'));
    if (target < 1) throw new KvError('INVALID_ARGUMENT', 'Cannot transfer leadership: targetNodeId must be 1 or more', { field: 'targetNodeId' });
    const started = driver.core.transferLeadership(nodeId(target));
    if (!started.ok) throw driver.errorFromCore(started.error);
    this.options.host.schedule();
    const endAt = Date.now() + deadlineMs;
    while (driver.core.status().leader !== target) {
      if (Date.now() >= endAt) throw new KvError('TIMEOUT', `Cannot confirm the transfer: node ${target} did not take over within ${deadlineMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, TRANSFER_POLL_MS));
    }
    return { header: this.header(driver), leaderId: String(target) };
  }

  /** Produces a snapshot file of the applied state and streams it; the file is removed after. */
  async snapshotSave(call: ServerWritableStream<unknown, unknown>): Promise<void> {
    const request = checkedRequest(this.options, call.request);
    this.options.guard?.(call, 'SnapshotSave', request);
    const driver = this.driver(request);
    if (driver.producing || driver.installing) {
      throw new KvError('OVERLOADED', 'Cannot save a snapshot now: one is being produced or installed for this group; retry shortly');
    }
    driver.producing = true;
    let file: string | undefined;
    try {
      const produced = await this.options.storage.produceSnapshot(driver.group);
      // Nothing applied since the last compaction: the file is the group's live snapshot; keep it.
      const live = produced.file === driver.storage.log.snapshotFileName();
      const path = join(this.options.storage.db.snapshotDir, produced.file);
      if (!live) file = path;
      let first = true;
      for await (const chunk of createReadStream(path, { highWaterMark: SNAPSHOT_STREAM_CHUNK_BYTES })) {
        const meta = first ? { index: String(produced.meta.index), term: String(produced.meta.term), totalBytes: String(produced.bytes) } : {};
        first = false;
        if (!call.write({ data: chunk as Buffer, ...meta })) await new Promise((resolve) => call.once('drain', resolve));
      }
      call.end();
    } finally {
      driver.producing = false;
      if (file !== undefined) rmSync(file, { force: true });
    }
  }
}
