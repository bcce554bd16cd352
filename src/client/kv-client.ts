/**
 * The raftkv SDK: `createClient({ endpoints })` returns a KvClient that routes each call by the
 * cluster's shard map to the leader of its key's group (data-calls.ts), follows NOT_LEADER hints,
 * retries only where it is safe (retry-policy.ts), and makes writes exactly-once with sessions
 * (session-pool.ts). Exported as `raftkv/client`.
 *
 * @example
 * ```ts
 * import { createClient } from 'raftkv/client';
 * const client = createClient({ endpoints: ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'] });
 * await client.put('greeting', 'hello');
 * console.log((await client.get('greeting'))?.text());
 * client.close();
 * ```
 */
import { loadKeyHasher } from '../shard/hasher.js';
import { CallRunner } from './call-runner.js';
import * as cluster from './cluster-calls.js';
import type { EndpointStatus, MemberList, NodeAlarms, ShardMapInfo, SnapshotChunk } from './cluster-types.js';
import { DataCalls, seedLeaders, type DataCall } from './data-calls.js';
import { EndpointPool } from './endpoint-pool.js';
import * as authCalls from './auth-calls.js';
import { checkedCredentials, TokenAuth } from './credentials.js';
import { clientCommonName, loadClientTls } from './client-tls.js';
import { GRPC_STATUS, KvClientError } from './errors.js';
import { singleGroupOf } from './group-split.js';
import { LeaderCache, type LeaderEntry } from './leader-cache.js';
import { checkedEndpoints, checkedPositive, checkedSessionPrefix, type ClientOptions, type ReadOptions, type WriteOptions } from './options.js';
import { describeKey, type BatchItem, type BatchResult, type DeleteResult, type PutOptions, type PutResult, type WriteResult } from './write-results.js';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, RangeIterable, type RangeOptions } from './range.js';
import { checkedRetryOptions } from './retry-policy.js';
import type { RoutingTable } from './routing-table.js';
import { GroupSessionPools } from './session-pool.js';
import { ShardMapCache } from './shard-map-cache.js';
import { compare, decodeTxnResponse, op, TxnBuilder, type TxnResult } from './txn.js';
import { decodeHeader, encodeSelector, optionalKeyValue, toBytes, boolField, type Bytes, type KeyValue, type RangeSelector } from './wire.js';

const GROUP = cluster.GROUP;
const DEADLINE_MS_DEFAULT = 5_000;
const SESSIONS_MAX_DEFAULT = 16;
/** Writers that may wait for a free session before the client answers OVERLOADED. */
const SESSION_WAITERS_MAX = 10_000;

const CONSISTENCY = { linearizable: 'READ_CONSISTENCY_LINEARIZABLE', serializable: 'READ_CONSISTENCY_SERIALIZABLE', lease: 'READ_CONSISTENCY_LEASE' } as const;

/**
 * A client of one raftkv cluster. Safe for concurrent use; call `close()` when done.
 *
 * @example
 * ```ts
 * const client = createClient({ endpoints: ['127.0.0.1:7001'] });
 * await client.cas('counter', null, '1'); // create only if absent
 * ```
 */
export class KvClient {
  private readonly core: cluster.ClientCore;
  private readonly shards: ShardMapCache;
  private readonly calls: DataCalls;

  constructor(options: ClientOptions) {
    const endpoints = checkedEndpoints(options.endpoints);
    const deadlineMsDefault = checkedPositive(options.defaultDeadlineMs ?? DEADLINE_MS_DEFAULT, 'defaultDeadlineMs');
    const credentials = checkedCredentials(options.credentials);
    // The login goes through the pool it authenticates, without a token (TokenAuth skips Authenticate).
    const auth = credentials === undefined ? undefined : new TokenAuth(credentials, (user, password) => authCalls.authenticate({ pool }, user, password, deadlineMsDefault));
    const pool: EndpointPool = new EndpointPool(endpoints, auth, loadClientTls(options.tls));
    const leaders = new LeaderCache();
    const runner = new CallRunner({
      pool, leaders, retry: checkedRetryOptions(options.retry), random: options.random ?? Math.random,
      onWrongShard: (deadlineMs) => this.shards.refresh(deadlineMs),
      ...(options.onAttemptFailed === undefined ? {} : { onAttemptFailed: options.onAttemptFailed }),
    });
    const core: cluster.ClientCore = { runner, pool, leaders, deadlineMs: (o) => o.deadlineMs ?? deadlineMsDefault };
    this.core = core;
    this.shards = new ShardMapCache({
      fetch: (deadlineMs) => cluster.fetchShardMap(core, deadlineMs),
      loadHasher: loadKeyHasher, now: () => performance.now(), onFetched: (info) => seedLeaders(leaders, info),
    });
    const sessions = options.sessionId === false ? undefined : new GroupSessionPools({
      prefix: checkedSessionPrefix(options.sessionId), sessionsMax: checkedPositive(options.sessionsMax ?? SESSIONS_MAX_DEFAULT, 'sessionsMax'), waitersMax: SESSION_WAITERS_MAX,
    });
    this.calls = new DataCalls(core, this.shards, sessions);
  }

  /** The configured endpoints, e.g. `['127.0.0.1:7001']`. */
  get endpoints(): readonly string[] {
    return this.core.pool.endpoints;
  }

  /**
   * Which identities a connection to `endpoint` runs with: whether TLS is on, the CN of the
   * server's certificate and of this client's (the user a call runs as under --client-cert-auth),
   * or why the TLS handshake fails. Opens one TLS connection of its own.
   *
   * @example
   * ```ts
   * const id = await client.connectionIdentity('127.0.0.1:7001'); // { tls: true, serverCommonName: 'node-1', clientCommonName: 'alice' }
   * ```
   */
  async connectionIdentity(endpoint: string): Promise<ConnectionIdentity> {
    const tls = this.core.pool.tls;
    if (tls === undefined) return { tls: false };
    const probe = await this.core.pool.stub(endpoint).probeTls();
    const client = clientCommonName(tls);
    return { tls: true, ...probe, ...(client === undefined ? {} : { clientCommonName: client }) };
  }

  /**
   * What the client believes about the leader of `group` (default 0: the only group of an
   * unsharded cluster; see `groupOf` for a key's group on a sharded one).
   *
   * @example
   * ```ts
   * console.log(client.leader()?.address); // '127.0.0.1:7002'
   * ```
   */
  leader(group = GROUP): LeaderEntry | undefined {
    return this.core.leaders.entry(group);
  }

  /**
   * The group `key` belongs to under the cluster's shard map (fetched on first use); 0 on an
   * unsharded cluster. Keys with a common {hash tag} share a group.
   *
   * @example
   * ```ts
   * (await client.groupOf('user:{42}:name')) === (await client.groupOf('user:{42}:email')); // true
   * ```
   */
  async groupOf(key: Bytes, options: ReadOptions = {}): Promise<number> {
    return (await this.routing(options)).groupOf(toBytes(key));
  }

  /**
   * The key-value, or null when the key does not exist.
   *
   * @example
   * ```ts
   * const kv = await client.get('config/mode', { consistency: 'serializable' });
   * console.log(kv === null ? 'unset' : kv.text());
   * ```
   */
  async get(key: Bytes, options: ReadOptions = {}): Promise<KeyValue | null> {
    const k = toBytes(key);
    const request = { key: k, consistency: CONSISTENCY[options.consistency ?? 'linearizable'] };
    const response = await this.calls.read({ method: 'Get', name: `get of key ${describeKey(k)}`, request, group: (t) => t.groupOf(k) }, options);
    return boolField(response, 'found') ? optionalKeyValue(response, 'kv') : null;
  }

  /**
   * Writes one key, exactly once even when retried (unless the client has `sessionId: false`).
   *
   * @example
   * ```ts
   * const { header, prevKv } = await client.put('a', '1', { prevKv: true });
   * ```
   */
  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    const k = toBytes(key);
    const request = { key: k, value: toBytes(value), prevKv: options.prevKv ?? false };
    const response = await this.calls.write({ method: 'Put', name: `put of key ${describeKey(k)}`, request, group: (t) => t.groupOf(k) }, options);
    return { header: decodeHeader(response), prevKv: optionalKeyValue(response, 'prevKv') };
  }

  /**
   * Removes one key; `deleted` is false when it did not exist.
   *
   * @example
   * ```ts
   * const { deleted } = await client.delete('a');
   * ```
   */
  async delete(key: Bytes, options: PutOptions = {}): Promise<DeleteResult> {
    const k = toBytes(key);
    const request = { key: k, prevKv: options.prevKv ?? false };
    const response = await this.calls.write({ method: 'Delete', name: `delete of key ${describeKey(k)}`, request, group: (t) => t.groupOf(k) }, options);
    return { header: decodeHeader(response), deleted: boolField(response, 'deleted'), prevKv: optionalKeyValue(response, 'prevKv') };
  }

  /**
   * Keys of a range in byte order, fetched page by page as you iterate. On a sharded cluster each
   * page is read from every group (its leader, or any replica for `serializable`) and merged.
   *
   * @example
   * ```ts
   * for await (const kv of client.range({ prefix: 'users/' }, { pageSize: 100, limit: 1_000 })) console.log(kv.keyText());
   * ```
   */
  range(selector: RangeSelector, options: RangeOptions = {}): RangeIterable {
    const pageSize = options.pageSize ?? PAGE_SIZE_DEFAULT;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > PAGE_SIZE_MAX) {
      throw new KvClientError('INVALID_ARGUMENT', `Cannot read the range: pageSize must be 1..${PAGE_SIZE_MAX}, got ${pageSize}`, { details: { field: 'pageSize' } });
    }
    const base = { ...encodeSelector(selector), keysOnly: options.keysOnly ?? false, consistency: CONSISTENCY[options.consistency ?? 'linearizable'] };
    return new RangeIterable((request) => this.calls.rangePage(request, options), base, options.limit ?? 0, pageSize);
  }

  /**
   * Starts a transaction: `.if(...).then(...).else(...).commit()`. A transaction runs in one group:
   * on a sharded cluster all its keys must share a group (give them a common {hash tag}, like
   * `user:{42}:name`), or `commit()` throws INVALID_ARGUMENT naming the groups, sending nothing.
   *
   * @example
   * ```ts
   * const r = await client.txn().if(compare.version('lock', '=', 0)).then(op.put('lock', 'me')).else(op.get('lock')).commit();
   * ```
   */
  txn(): TxnBuilder {
    return new TxnBuilder(async (request, options, keys) => {
      const call: DataCall = { method: 'Txn', name: 'transaction', request, group: (t) => singleGroupOf(keys, (k) => t.groupOf(k), 'the transaction') };
      return decodeTxnResponse(await this.calls.write(call, options));
    });
  }

  /**
   * Sets `key` to `newValue` if its value is `expectedValue` (or, for null, if it does not exist).
   * Throws KvError `CAS_MISMATCH` with `details.currentVersion` (0: absent) when it does not.
   *
   * @example
   * ```ts
   * await client.cas('owner', null, 'alice');    // only if absent
   * await client.cas('owner', 'alice', 'bob');   // only if still alice
   * ```
   */
  async cas(key: Bytes, expectedValue: Bytes | null, newValue: Bytes, options: WriteOptions = {}): Promise<WriteResult> {
    const k = toBytes(key);
    const condition = expectedValue === null ? compare.version(k, '=', 0) : compare.value(k, '=', expectedValue);
    const result: TxnResult = await this.txn().if(condition).then(op.put(k, newValue)).else(op.get(k)).commit(options);
    if (result.succeeded) return { header: result.header };
    const current = result.results[0];
    const version = current?.type === 'get' ? (current.kv?.version ?? 0) : 0;
    const expected = expectedValue === null ? 'expected no key' : 'expected value did not match';
    const found = version === 0 ? 'the key does not exist' : `found version ${version}`;
    throw new KvClientError('CAS_MISMATCH', `Cannot apply compare-and-swap on key ${describeKey(k)}: ${expected}, ${found}`, {
      details: { currentVersion: version, group: result.header.groupId }, grpcCode: GRPC_STATUS.FAILED_PRECONDITION,
    });
  }

  /**
   * Writes the items (1..1000 per group). Atomic only within one group: on a sharded cluster the
   * batch is split by group and the parts are written concurrently, each atomically, so a batch
   * across groups is NOT atomic: a reader may see some parts before others, and if a part fails
   * (this throws that part's error once every part has finished) the other parts may have applied.
   * Retrying the whole batch is then safe unless others write the same keys. Keys with a common
   * {hash tag} share a group, so such a batch is one atomic write.
   *
   * @example
   * ```ts
   * await client.batch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
   * await client.batch([{ key: 'cart:{7}:a', value: '1' }, { key: 'cart:{7}:b', value: '2' }]); // atomic: one group
   * ```
   */
  async batch(items: readonly BatchItem[], options: WriteOptions = {}): Promise<BatchResult> {
    const headers = (await this.calls.batch(items, options)).map((part) => decodeHeader(part.response));
    const [header] = headers;
    if (header === undefined) throw new KvClientError('INTERNAL', `Cannot finish the batch of ${items.length} puts: no part was written`);
    return { header, headers };
  }

  /**
   * One node's status (`endpoint`), or the leader's if known, else any node's, in group
   * `options.group` (default 0: the unsharded group, or the meta group of a sharded cluster).
   * A node without a replica of the group answers WRONG_SHARD.
   *
   * @example
   * ```ts
   * const s = await client.status('127.0.0.1:7001', { group: 3 });
   * console.log(s.role, s.term, s.appliedIndex);
   * ```
   */
  status(endpoint?: string, options: cluster.GroupOptions = {}): Promise<EndpointStatus> {
    return cluster.status(this.core, endpoint, options);
  }

  /**
   * The cluster's shard map, freshly asked of every node it lists, with each group's leader and
   * term as the nodes hosting it report them. Epoch 0: an unsharded cluster.
   *
   * @example
   * ```ts
   * const map = await client.shardMap();
   * for (const g of map.groups) console.log(g.group, g.replicas, g.leaderId);
   * ```
   */
  shardMap(options: WriteOptions = {}): Promise<ShardMapInfo> {
    return cluster.shardMap(this.core, options);
  }

  /**
   * Whether `endpoint` answers, knows a leader and serves a linearizable read. Never throws.
   *
   * @example
   * ```ts
   * const { healthy, error } = await client.health('127.0.0.1:7001');
   * ```
   */
  health(endpoint: string, options: WriteOptions = {}): Promise<cluster.EndpointHealth> {
    return cluster.health(this.core, endpoint, options);
  }

  /**
   * The group's members and leader, as the leader (or any node) knows them.
   *
   * @example
   * ```ts
   * const { members, leaderId } = await client.members();
   * ```
   */
  members(options: WriteOptions = {}): Promise<MemberList> {
    return cluster.members(this.core, options);
  }

  /**
   * Adds a node, as a learner unless `voter` (let it catch up, then `memberPromote`).
   *
   * @example
   * ```ts
   * await client.memberAdd(4, '10.0.0.4:7001'); // peer port 8001; or '10.0.0.4:7001@10.0.0.4:9001'
   * ```
   */
  memberAdd(nodeId: number, address: string, options: WriteOptions & { readonly voter?: boolean } = {}): Promise<MemberList> {
    return cluster.changeMembership(this.core, { type: 'add', nodeId, address, voter: options.voter ?? false }, options);
  }

  /**
   * Makes a learner a voter.
   *
   * @example
   * ```ts
   * await client.memberPromote(4);
   * ```
   */
  memberPromote(nodeId: number, options: WriteOptions = {}): Promise<MemberList> {
    return cluster.changeMembership(this.core, { type: 'promote', nodeId }, options);
  }

  /**
   * Removes a node, voter or learner (the leader too).
   *
   * @example
   * ```ts
   * await client.memberRemove(4);
   * ```
   */
  memberRemove(nodeId: number, options: WriteOptions = {}): Promise<MemberList> {
    return cluster.changeMembership(this.core, { type: 'remove', nodeId }, options);
  }

  /**
   * Sharded clusters: moves every replica off `nodeId` (the balancer does it in the background;
   * watch `shardMap()`), then the node can be stopped.
   *
   * @example
   * ```ts
   * await client.nodeDecommission(3);
   * ```
   */
  nodeDecommission(nodeId: number, options: WriteOptions = {}): Promise<cluster.ShardMapChange> {
    return cluster.changeShardMap(this.core, 'NodeDecommission', { nodeId: String(nodeId) }, options);
  }

  /**
   * Sharded clusters: stops (true) or restarts (false) the balancer's automatic moves.
   *
   * @example
   * ```ts
   * await client.balancerPause(true);
   * ```
   */
  balancerPause(paused: boolean, options: WriteOptions = {}): Promise<cluster.ShardMapChange> {
    return cluster.changeShardMap(this.core, 'BalancerPause', { paused }, options);
  }

  /**
   * Sharded clusters: moves `group`'s replica from node `from` to node `to` (learner, catch up,
   * promote, remove; carried out in the background).
   *
   * @example
   * ```ts
   * await client.replicaMove(5, 1, 4);
   * ```
   */
  replicaMove(group: number, from: number, to: number, options: WriteOptions = {}): Promise<cluster.ShardMapChange> {
    return cluster.changeShardMap(this.core, 'ReplicaMove', { groupId: String(group), fromNodeId: String(from), toNodeId: String(to) }, options);
  }

  /**
   * Sharded clusters: splits `group`'s ring range at its midpoint; the upper half becomes
   * `newGroupId`. Not idempotent: each call splits again.
   *
   * @example
   * ```ts
   * const { newGroupId } = await client.split(3);
   * ```
   */
  split(group: number, options: WriteOptions = {}): Promise<cluster.ShardMapChange> {
    return cluster.changeShardMap(this.core, 'Split', { groupId: String(group) }, options);
  }

  /**
   * Moves leadership to `nodeId`; resolves once it leads.
   *
   * @example
   * ```ts
   * const { term } = await client.leaderTransfer(2);
   * ```
   */
  leaderTransfer(nodeId: number, options: WriteOptions = {}): Promise<{ leaderId: number; term: number }> {
    return cluster.leaderTransfer(this.core, nodeId, options);
  }

  /**
   * One group's snapshot (default group 0) as a stream of chunks; `deadlineMs` bounds the whole
   * transfer. `kvctl snapshot save` puts every group's into one backup archive.
   *
   * @example
   * ```ts
   * const out = createWriteStream('group3.snap');
   * for await (const chunk of client.snapshotSave({ group: 3, deadlineMs: 60_000 })) out.write(chunk.data);
   * ```
   */
  snapshotSave(options: cluster.SnapshotSaveOptions = {}): AsyncGenerator<SnapshotChunk> {
    return cluster.snapshotSave(this.core, options);
  }

  /**
   * One endpoint's alarms: its own, then the NOSPACE alarms it learned from other nodes; with its
   * space quota and how much of it the database uses.
   *
   * @example
   * ```ts
   * const { alarms, usedBytes, quotaBytes } = await client.alarms('127.0.0.1:7001');
   * ```
   */
  alarms(endpoint: string, options: WriteOptions = {}): Promise<NodeAlarms> {
    return cluster.alarms(this.core, endpoint, options);
  }

  /**
   * Disarms one endpoint's own alarms (all, or of one kind or group). A NOSPACE alarm comes back at
   * the node's next quota check if it is still over its quota.
   *
   * @example
   * ```ts
   * const { disarmed } = await client.alarmDisarm('127.0.0.1:7001', { kind: 'NOSPACE' });
   * ```
   */
  alarmDisarm(endpoint: string, options: cluster.AlarmDisarmOptions = {}): Promise<NodeAlarms> {
    return cluster.alarmDisarm(this.core, endpoint, options);
  }

  /**
   * Whether auth is enabled, and who this client's calls run as.
   *
   * @example
   * ```ts
   * const { enabled, user } = await client.authStatus();
   * ```
   */
  authStatus(options: WriteOptions = {}): Promise<authCalls.AuthStatus> {
    return authCalls.authStatus(this.core, options);
  }

  /**
   * One change of users, roles or the enabled flag (needs role root once auth is enabled).
   *
   * @example
   * ```ts
   * await client.authChange({ action: 'user-add', name: 'root', password: 'secret' });
   * await client.authChange({ action: 'enable' });
   * ```
   */
  authChange(change: authCalls.AuthChange, options: WriteOptions = {}): Promise<{ enabled: boolean }> {
    return authCalls.authChange(this.core, change, options);
  }

  /**
   * Users with their roles and roles with their permissions (never password hashes); needs root.
   *
   * @example
   * ```ts
   * const { users, roles } = await client.authList();
   * ```
   */
  authList(options: WriteOptions = {}): Promise<authCalls.AuthListing> {
    return authCalls.authList(this.core, options);
  }

  /**
   * Closes every connection; later calls fail.
   *
   * @example
   * ```ts
   * client.close();
   * ```
   */
  close(): void {
    this.core.pool.close();
  }

  private routing(options: ReadOptions): Promise<RoutingTable> {
    return this.calls.routing(Date.now() + this.core.deadlineMs(options));
  }
}

/** See `KvClient.connectionIdentity`. */
export interface ConnectionIdentity {
  readonly tls: boolean;
  readonly serverCommonName?: string;
  readonly clientCommonName?: string;
  /** Why the TLS handshake fails; absent when it works. */
  readonly failure?: string;
}

/**
 * Creates a client. It connects lazily: the first call opens connections.
 *
 * @example
 * ```ts
 * const client = createClient({ endpoints: ['127.0.0.1:7001', '127.0.0.1:7002'], defaultDeadlineMs: 2_000 });
 * ```
 */
export function createClient(options: ClientOptions): KvClient {
  return new KvClient(options);
}

// The public surface of `raftkv/client` (package.json `exports` points at this file).
export { compare, op, TxnBuilder } from './txn.js';
export type { Compare, CompareOp, CompareTarget, TxnOp, TxnOpResult, TxnResult } from './txn.js';
export { KvError, KvClientError, OutcomeUnknownError, UnreachableError } from './errors.js';
export type { Credentials } from './credentials.js';
export type { AuthChange, AuthListing, AuthStatus } from './auth-calls.js';
export type { KvErrorCode, KvErrorDetails, LeaderHint } from './errors.js';
export type { ClientTlsOptions } from './client-tls.js';
export type { AttemptFailure, ClientOptions, Consistency, ReadOptions, WriteOptions } from './options.js';
export type { RangeOptions, RangePage } from './range.js';
export { RangeIterable } from './range.js';
export type { RetryOptions } from './retry-policy.js';
export { describeKey } from './write-results.js';
export type { BatchItem, BatchResult, DeleteResult, PutOptions, PutResult, WriteResult } from './write-results.js';
export type { Bytes, KeyValue, RangeSelector, ResponseHeader } from './wire.js';
export type { AlarmInfo, EndpointStatus, Member, MemberList, NodeAlarms, Role, ShardGroup, ShardMapInfo, ShardRange, SnapshotChunk } from './cluster-types.js';
export type { AlarmDisarmOptions, EndpointHealth, GroupOptions, SnapshotSaveOptions } from './cluster-calls.js';
export type { LeaderEntry } from './leader-cache.js';
