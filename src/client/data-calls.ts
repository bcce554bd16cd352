/**
 * Where the SDK's data calls go. On first use the client fetches the shard map (shard-map-cache.ts)
 * and from then on sends each call to the cached leader of its key's group, or, with no leader
 * cached, to that group's replicas in order (the preferred leader first); a WRONG_SHARD refusal
 * refreshes the map (call-runner.ts). On an unsharded cluster (epoch 0) every call is for group 0
 * and goes to the configured endpoints, as before sharding.
 *
 * Multi-key calls: a txn must stay in one group (group-split.ts refuses it otherwise, before
 * sending); a batch is split per group and the parts are sent concurrently, each to its group's
 * leader, so a batch over several groups is NOT atomic; a range is read from every group
 * (`single_group` + `group_id`) and merged in key order, so it works even when no node hosts every
 * group. Writes carry a session of their group's pool (the server keeps sessions per group).
 */
import type { CallSpec } from './call-runner.js';
import type { ClientCore } from './cluster-calls.js';
import type { ShardMapInfo } from './cluster-types.js';
import type { LeaderCache } from './leader-cache.js';
import type { KvMethod, Message } from './kv-stub.js';
import type { Consistency, ReadOptions, WriteOptions } from './options.js';
import { decodeRangeResponse, mergeGroupPages, type FetchedPage } from './range.js';
import type { TokenRange } from '../shard/page-token.js';
import type { RoutingTable } from './routing-table.js';
import type { GroupSessionPools } from './session-pool.js';
import type { ShardMapCache } from './shard-map-cache.js';
import { splitByGroup } from './group-split.js';
import { toBytes } from './wire.js';
import { KvClientError } from './errors.js';
import type { BatchItem } from './write-results.js';

/** One data call: what to send, and how to find its group in the routing table. */
export interface DataCall {
  readonly method: KvMethod;
  /** Names the call in messages, e.g. `put of key "a"`. */
  readonly name: string;
  readonly request: Message;
  /** The group that serves the call; may throw (a txn across groups). */
  readonly group: (table: RoutingTable) => number;
}

/** What DataCalls needs of the client: the call runner and the default deadline. */
export type DataCore = Pick<ClientCore, 'runner' | 'deadlineMs'>;

/** One group's part of a batch and the response it got. */
export interface BatchPartResult {
  readonly group: number;
  readonly response: Message;
}

/** Times one call is routed again after a split moved its key (each after a map refresh). */
const REROUTES_MAX = 5;

export class DataCalls {
  constructor(
    private readonly core: DataCore,
    private readonly shards: ShardMapCache,
    private readonly sessions: GroupSessionPools | undefined,
  ) {}

  /** The routing table, fetching the shard map (within the call's deadline) on first use. */
  routing(deadlineAt: number): Promise<RoutingTable> {
    return this.shards.table(Math.max(0, deadlineAt - Date.now()));
  }

  async read(call: DataCall, options: ReadOptions): Promise<Message> {
    const deadlineAt = Date.now() + this.core.deadlineMs(options);
    return this.rerouting(deadlineAt, (table) => this.readGroup(call, table, call.group(table), deadlineAt, options, this.moved(call, table)));
  }

  async write(call: DataCall, options: WriteOptions): Promise<Message> {
    const deadlineAt = Date.now() + this.core.deadlineMs(options);
    return this.rerouting(deadlineAt, (table) => this.writeGroup(call, table, call.group(table), deadlineAt, options, this.moved(call, table)));
  }

  /**
   * Runs `attempt` with the current routing table; when it ends in a server's WRONG_SHARD because
   * the refreshed map routes the call elsewhere (a split), runs it again with the new table. A
   * WRONG_SHARD is a refusal before anything applied, so running a write again is safe.
   */
  private async rerouting<T>(deadlineAt: number, attempt: (table: RoutingTable) => Promise<T>): Promise<T> {
    for (let reroutes = 0; ; reroutes++) {
      const table = await this.routing(deadlineAt);
      try {
        return await attempt(table);
      } catch (error) {
        const wrongShard = error instanceof KvClientError && error.fromServer && (error.code === 'WRONG_SHARD' || error.code === 'NOT_LEADER');
        if (!wrongShard || reroutes >= REROUTES_MAX || Date.now() >= deadlineAt) throw error;
      }
    }
  }

  /** After a WRONG_SHARD: does the refreshed map send this call to another group? */
  private moved(call: DataCall, table: RoutingTable): () => boolean {
    return () => {
      const fresh = this.shards.cached();
      if (fresh === undefined || fresh.epoch === table.epoch) return false;
      try {
        return call.group(fresh) !== call.group(table);
      } catch {
        return true;
      }
    };
  }

  /**
   * BatchPut, split by group; the parts run concurrently. Resolves when every part applied; if a
   * part fails, rejects with the first failure (in group order) once all parts have settled, and
   * the other parts may have applied.
   */
  async batch(items: readonly BatchItem[], options: WriteOptions): Promise<BatchPartResult[]> {
    const deadlineAt = Date.now() + this.core.deadlineMs(options);
    const table = await this.routing(deadlineAt);
    const encoded = items.map((item) => ({ key: toBytes(item.key), value: toBytes(item.value) }));
    const parts = encoded.length === 0 ? [{ group: table.groupOf(new Uint8Array(0)), items: encoded }] : splitByGroup(encoded, (item) => table.groupOf(item.key));
    const settled = await Promise.allSettled(parts.map(async (part) => {
      const name = parts.length === 1 ? `batch of ${items.length} puts` : `batch part of ${part.items.length} puts to group ${part.group}`;
      const call: DataCall = { method: 'BatchPut', name, request: { items: part.items }, group: () => part.group };
      return { group: part.group, response: await this.writeGroup(call, table, part.group, deadlineAt, options) };
    }));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  }

  /**
   * One page of a range: one Range call when unsharded; otherwise one per data group, each to
   * that group's leader (any replica for serializable reads), merged in key order.
   */
  async rangePage(request: Message, options: ReadOptions): Promise<FetchedPage> {
    const deadlineAt = Date.now() + this.core.deadlineMs(options);
    return this.rerouting(deadlineAt, async (table) => {
      if (!table.isSharded) {
        return decodeRangeResponse(await this.readGroup({ method: 'Range', name: 'range read', request, group: () => 0 }, table, 0, deadlineAt, options));
      }
      const pages = await Promise.all(table.dataGroups().map(async (group) => {
        const range = table.rangeOf(group);
        const bounds = range === null ? {} : { ringStart: String(range.start), ringEnd: String(range.end) };
        const call: DataCall = { method: 'Range', name: `range read of group ${group}`, request: { ...request, singleGroup: true, groupId: String(group), ...bounds }, group: () => group };
        const rangeChanged = (): boolean => {
          const fresh = this.shards.cached()?.rangeOf(group);
          return fresh?.start !== range?.start || fresh?.end !== range?.end;
        };
        return decodeRangeResponse(await this.readGroup(call, table, group, deadlineAt, options, rangeChanged));
      }));
      return mergeGroupPages(pages, Number(request['limit'] ?? 0) || Number.MAX_SAFE_INTEGER, tokenRangeOf(request));
    });
  }

  /** Replicas of `group` from the newest cached map; none (configured endpoints) when unsharded. */
  private candidates(table: RoutingTable, group: number): Pick<CallSpec, 'candidates'> {
    if (!table.isSharded) return {};
    return { candidates: () => (this.shards.cached() ?? table).replicaAddresses(group) };
  }

  private async readGroup(call: DataCall, table: RoutingTable, group: number, deadlineAt: number, options: ReadOptions, routeChanged?: () => boolean): Promise<Message> {
    const consistency: Consistency = options.consistency ?? 'linearizable';
    const { response } = await this.core.runner.run({
      ...(routeChanged === undefined ? {} : { routeChanged }),
      name: call.name, kind: 'read', route: consistency === 'serializable' ? 'any' : 'leader', group, ...this.candidates(table, group),
      answeredByLeader: consistency === 'lease', request: call.request, send: (stub, r, o) => stub.call(call.method, r, o),
      deadlineMs: Math.max(0, deadlineAt - Date.now()), statedDeadlineMs: this.core.deadlineMs(options), ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return response;
  }

  private async writeGroup(call: DataCall, table: RoutingTable, group: number, deadlineAt: number, options: WriteOptions, routeChanged?: () => boolean): Promise<Message> {
    const lease = this.sessions === undefined ? undefined : await this.sessions.forGroup(group).acquire(deadlineAt, options.signal);
    const spec: CallSpec = {
      ...(routeChanged === undefined ? {} : { routeChanged }),
      name: call.name, kind: 'write', route: 'leader', group, ...this.candidates(table, group), answeredByLeader: true, request: call.request,
      send: (stub, r, o) => stub.call(call.method, r, o), deadlineMs: Math.max(0, deadlineAt - Date.now()), statedDeadlineMs: this.core.deadlineMs(options),
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
 * Seeds the leader cache from a fetched shard map: each group's leader as the answering node
 * knows it (only for the groups it hosts). Not for an unsharded map: there the client finds the
 * leader as it always did, from replies and NOT_LEADER hints.
 */
export function seedLeaders(leaders: LeaderCache, info: ShardMapInfo): void {
  if (info.epoch === 0) return;
  const addresses = new Map(info.nodes.map((n) => [n.nodeId, n.address]));
  for (const g of info.groups) {
    if (g.leaderId === 0) continue;
    const address = addresses.get(g.leaderId);
    leaders.observe(g.group, { term: g.term, leaderId: g.leaderId, ...(address === undefined || address === '' ? {} : { address }) });
  }
}

/** The range a RangeRequest names, which its page tokens are bound to (src/shard/page-token.ts). */
function tokenRangeOf(request: Message): TokenRange {
  const bytesOf = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));
  return { start: bytesOf(request['start']), end: bytesOf(request['end']), prefix: request['prefix'] === true };
}
