/**
 * The raftkv SDK: `createClient({ endpoints })` returns a KvClient that finds the leader, follows
 * NOT_LEADER hints, retries only where it is safe (retry-policy.ts), and makes writes exactly-once
 * with sessions (session-pool.ts). Exported as `raftkv/client`.
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
import { CallRunner, type CallSpec } from './call-runner.js';
import * as cluster from './cluster-calls.js';
import type { EndpointStatus, MemberList, SnapshotChunk } from './cluster-types.js';
import { EndpointPool } from './endpoint-pool.js';
import { GRPC_STATUS, KvClientError } from './errors.js';
import type { KvMethod, Message } from './kv-stub.js';
import { LeaderCache, type LeaderEntry } from './leader-cache.js';
import { checkedEndpoints, checkedPositive, checkedSessionPrefix, type ClientOptions, type Consistency, type ReadOptions, type WriteOptions } from './options.js';
import { describeKey, type BatchItem, type DeleteResult, type PutOptions, type PutResult, type WriteResult } from './write-results.js';
import { PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX, RangeIterable, type RangeOptions } from './range.js';
import { checkedRetryOptions } from './retry-policy.js';
import { SessionPool } from './session-pool.js';
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
  private readonly sessions: SessionPool | undefined;

  constructor(options: ClientOptions) {
    const endpoints = checkedEndpoints(options.endpoints);
    const deadlineMsDefault = checkedPositive(options.defaultDeadlineMs ?? DEADLINE_MS_DEFAULT, 'defaultDeadlineMs');
    const pool = new EndpointPool(endpoints);
    const leaders = new LeaderCache();
    const runner = new CallRunner({
      pool, leaders, retry: checkedRetryOptions(options.retry), random: options.random ?? Math.random,
      ...(options.onAttemptFailed === undefined ? {} : { onAttemptFailed: options.onAttemptFailed }),
    });
    this.core = { runner, pool, leaders, deadlineMs: (o) => o.deadlineMs ?? deadlineMsDefault };
    this.sessions = options.sessionId === false ? undefined : new SessionPool({
      prefix: checkedSessionPrefix(options.sessionId), sessionsMax: checkedPositive(options.sessionsMax ?? SESSIONS_MAX_DEFAULT, 'sessionsMax'), waitersMax: SESSION_WAITERS_MAX,
    });
  }

  /** The configured endpoints, e.g. `['127.0.0.1:7001']`. */
  get endpoints(): readonly string[] {
    return this.core.pool.endpoints;
  }

  /**
   * What the client believes about the leader of `group` (0 until multi-raft).
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
    const response = await this.read('Get', `get of key ${describeKey(k)}`, { key: k, consistency: CONSISTENCY[options.consistency ?? 'linearizable'] }, options);
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
    const response = await this.write('Put', `put of key ${describeKey(k)}`, { key: k, value: toBytes(value), prevKv: options.prevKv ?? false }, options);
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
    const response = await this.write('Delete', `delete of key ${describeKey(k)}`, { key: k, prevKv: options.prevKv ?? false }, options);
    return { header: decodeHeader(response), deleted: boolField(response, 'deleted'), prevKv: optionalKeyValue(response, 'prevKv') };
  }

  /**
   * Keys of a range in byte order, fetched page by page as you iterate.
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
    return new RangeIterable((request) => this.read('Range', 'range read', request, options), base, options.limit ?? 0, pageSize);
  }

  /**
   * Starts a transaction: `.if(...).then(...).else(...).commit()`.
   *
   * @example
   * ```ts
   * const r = await client.txn().if(compare.version('lock', '=', 0)).then(op.put('lock', 'me')).else(op.get('lock')).commit();
   * ```
   */
  txn(): TxnBuilder {
    return new TxnBuilder(async (request, options) => decodeTxnResponse(await this.write('Txn', 'transaction', request, options)));
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
      details: { currentVersion: version, group: GROUP }, grpcCode: GRPC_STATUS.FAILED_PRECONDITION,
    });
  }

  /**
   * Writes every item atomically (1..1000 items).
   *
   * @example
   * ```ts
   * await client.batch([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
   * ```
   */
  async batch(items: readonly BatchItem[], options: WriteOptions = {}): Promise<WriteResult> {
    const request = { items: items.map((item) => ({ key: toBytes(item.key), value: toBytes(item.value) })) };
    return { header: decodeHeader(await this.write('BatchPut', `batch of ${items.length} puts`, request, options)) };
  }

  /**
   * One node's status (`endpoint`), or the leader's if known, else any node's.
   *
   * @example
   * ```ts
   * const s = await client.status('127.0.0.1:7001');
   * console.log(s.role, s.term, s.appliedIndex);
   * ```
   */
  status(endpoint?: string, options: WriteOptions = {}): Promise<EndpointStatus> {
    return cluster.status(this.core, endpoint, options);
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
   * await client.memberAdd(4, '10.0.0.4:7001');
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
   * The group's snapshot as a stream of chunks; `deadlineMs` bounds the whole transfer.
   *
   * @example
   * ```ts
   * const out = createWriteStream('backup.snap');
   * for await (const chunk of client.snapshotSave({ deadlineMs: 60_000 })) out.write(chunk.data);
   * ```
   */
  snapshotSave(options: WriteOptions = {}): AsyncGenerator<SnapshotChunk> {
    return cluster.snapshotSave(this.core, options);
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

  private async read(method: KvMethod, name: string, request: Message, options: ReadOptions): Promise<Message> {
    const consistency: Consistency = options.consistency ?? 'linearizable';
    const { response } = await this.core.runner.run({
      name, kind: 'read', route: consistency === 'serializable' ? 'any' : 'leader', group: GROUP,
      answeredByLeader: consistency === 'lease', request, send: (stub, r, o) => stub.call(method, r, o),
      deadlineMs: this.core.deadlineMs(options), ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return response;
  }

  private async write(method: KvMethod, name: string, request: Message, options: WriteOptions): Promise<Message> {
    const deadlineAt = Date.now() + this.core.deadlineMs(options);
    const lease = this.sessions === undefined ? undefined : await this.sessions.acquire(deadlineAt, options.signal);
    const spec: CallSpec = {
      name, kind: 'write', route: 'leader', group: GROUP, answeredByLeader: true, request,
      send: (stub, r, o) => stub.call(method, r, o), deadlineMs: Math.max(0, deadlineAt - Date.now()),
      ...(options.signal === undefined ? {} : { signal: options.signal }), ...(lease === undefined ? {} : { session: lease }),
    };
    try {
      const { response } = await this.core.runner.run(spec);
      lease?.release('confirmed');
      return response;
    } catch (error) {
      lease?.release('failed');
      throw error;
    }
  }
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
export type { KvErrorCode, KvErrorDetails, LeaderHint } from './errors.js';
export type { AttemptFailure, ClientOptions, Consistency, ReadOptions, WriteOptions } from './options.js';
export type { RangeOptions, RangePage } from './range.js';
export { RangeIterable } from './range.js';
export type { RetryOptions } from './retry-policy.js';
export { describeKey } from './write-results.js';
export type { BatchItem, DeleteResult, PutOptions, PutResult, WriteResult } from './write-results.js';
export type { Bytes, KeyValue, RangeSelector, ResponseHeader } from './wire.js';
export type { EndpointStatus, Member, MemberList, Role, SnapshotChunk } from './cluster-types.js';
export type { EndpointHealth } from './cluster-calls.js';
export type { LeaderEntry } from './leader-cache.js';
