// Routing on a sharded cluster, as a client that knows the shard map must do it: hash the key
// (or its {hash tag}) onto the ring of the cached Cluster.ShardMap, send to the key's group's
// leader as far as it is known (a replica of the group otherwise; a share of reads on purpose to
// any replica), and within the operation's deadline try again only after a refusal that proves the
// operation had no effect:
//   NOT_LEADER  the hinted node if it is a replica of the group, else the next replica;
//   WRONG_SHARD refresh the map (the node hosts no replica of the group: refused before proposing);
//   NO_LEADER, OVERLOADED  a short pause (a leader is being elected, or leadership is moving),
//               then the known leader again, or another replica;
//   never sent  (grpc-js "No connection established") another replica.
// A WRONG_SHARD counts as such a refusal only when the server named the group (kv-group, the
// router's refusal before proposing); any other error, a timeout above all, ends the operation,
// which the workload records as `fail` or `info` exactly as history-recorder.ts decides. So the
// history keeps one invoke and one completion per operation, whatever the retries.
import { KvError } from '../../../src/shared/errors.js';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import type { KeyHasher } from '../../../src/shard/hash-ring.js';
import type { Rng } from '../../../src/shared/rng.js';
import { bytes, field, LINEARIZABLE, text } from '../../support/kv-wire.js';
import { sleep } from '../../support/poll.js';
import type { JepsenCluster } from '../harness/jepsen-cluster.js';
import { refusalOf } from '../harness/refusal.js';
import { dataGroups, fetchShardMap, keyHasher, type ShardMapView } from '../harness/shard-map.js';
import { RoutedFailure, type Routed, type Routing } from './context.js';

/** Attempts per operation; each is a refusal that proved the previous one had no effect. */
const attemptsMax = 6;
/** Fewest milliseconds between two shard map fetches (a burst of WRONG_SHARD costs one). */
const refreshMsMin = 250;
const fetchDeadlineMs = 1_000;
/** After NO_LEADER or OVERLOADED: about an election's worth of ticks at the runner's defaults. */
const pauseMs = 50;
/** An attempt with less time left than this is not started; the last refusal stands. */
const attemptMsMin = 30;
const scanPagesMax = 1_000;

export class ShardRouter implements Routing {
  private view: ShardMapView | undefined;
  private hasher: KeyHasher | undefined;
  private inflight: Promise<ShardMapView> | undefined;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  /** Leaders learnt from answers and hints since the last map; they win over the map's claims. */
  private readonly learnt = new Map<number, NodeId>();
  private refreshes = 0;

  constructor(private readonly cluster: JepsenCluster, private readonly rng: Rng, private readonly followerReadShare: number) {}

  /** Shard maps fetched so far (start and refreshes). */
  get refreshCount(): number {
    return this.refreshes;
  }

  /** The current map, fetching it on first use. */
  async map(): Promise<ShardMapView> {
    return this.view ?? this.refresh(true);
  }

  /** Fetches the map again, unless a fetch runs or ran within refreshMsMin (unless `force`). */
  async refresh(force = false): Promise<ShardMapView> {
    if (this.inflight !== undefined) return this.inflight;
    if (!force && this.view !== undefined && performance.now() - this.fetchedAtMs < refreshMsMin) return this.view;
    this.fetchedAtMs = performance.now();
    this.refreshes++;
    this.inflight = (async () => {
      this.hasher ??= await keyHasher();
      const view = await fetchShardMap(this.cluster, fetchDeadlineMs);
      if (this.view === undefined || view.epoch >= this.view.epoch) {
        if (this.view !== undefined && view.epoch > this.view.epoch) this.learnt.clear();
        this.view = view;
      }
      return this.view;
    })().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** The group of `key` under the current map. */
  async groupOf(key: string): Promise<number> {
    const view = await this.map();
    const hasher = this.hasher;
    if (hasher === undefined) throw new Error('Cannot hash keys: xxHash64 is not loaded');
    return view.ring.groupOf(hasher, Buffer.from(key, 'utf8'));
  }

  /**
   * The ring range `group` owns under the current map, for a single-group Range's ring_start and
   * ring_end: a group that owns another range (it split, or is still splitting) answers
   * WRONG_SHARD instead of a page that misses or doubles keys.
   */
  async ringRangeOf(group: number): Promise<{ readonly ringStart: string; readonly ringEnd: string }> {
    const range = (await this.map()).ring.ranges.find((r) => r.group === group);
    if (range === undefined) throw new Error(`Cannot read group ${group}: the shard map has no range for it`);
    return { ringStart: String(range.start), ringEnd: String(range.end) };
  }

  /** Every data group of the current map. */
  async groups(): Promise<number[]> {
    return dataGroups(await this.map());
  }

  send<T>(key: string, read: boolean, deadlineMs: number, attempt: (node: NodeId, deadlineMs: number) => Promise<T>): Promise<Routed<T>> {
    return this.sendTo(() => this.groupOf(key), read, deadlineMs, attempt);
  }

  /** Like send(), for a request addressed to a group (a single-group Range). */
  sendToGroup<T>(group: number, read: boolean, deadlineMs: number, attempt: (node: NodeId, deadlineMs: number) => Promise<T>): Promise<Routed<T>> {
    return this.sendTo(() => Promise.resolve(group), read, deadlineMs, attempt);
  }

  /**
   * Every key under `prefix`: one linearizable single-group Range per data group (paged), each to
   * that group's leader. Fails if the shard map's epoch changed meanwhile (a split may have moved
   * keys to a group this scan did not read); the caller tries again.
   */
  async scanPrefix(prefix: string, deadlineMs: number): Promise<Map<string, string>> {
    const before = await this.refresh(true);
    const out = new Map<string, string>();
    for (const group of dataGroups(before)) {
      let pageToken: Buffer = Buffer.alloc(0);
      const bounds = await this.ringRangeOf(group);
      for (let page = 0; page < scanPagesMax; page++) {
        const request = { start: bytes(prefix), prefix: true, consistency: LINEARIZABLE, singleGroup: true, groupId: String(group), ...bounds, pageToken };
        const { value: response } = await this.sendToGroup(group, false, deadlineMs, (node, left) => this.cluster.kvStub(node).call('Range', request, { deadlineMs: left }));
        const kvs = field(response, 'kvs');
        for (const kv of Array.isArray(kvs) ? kvs : []) out.set(text(field(kv, 'key')), text(field(kv, 'value')));
        if (field(response, 'more') !== true) break;
        const next = field(response, 'nextPageToken');
        pageToken = next instanceof Uint8Array ? Buffer.from(next) : Buffer.alloc(0);
      }
    }
    const after = await this.refresh(true);
    if (rangesOf(after) !== rangesOf(before)) throw new Error(`Cannot scan "${prefix}": the ring changed between epochs ${before.epoch} and ${after.epoch} meanwhile`);
    return out;
  }

  private async sendTo<T>(target: () => Promise<number>, read: boolean, deadlineMs: number, attempt: (node: NodeId, deadlineMs: number) => Promise<T>): Promise<Routed<T>> {
    const endAt = performance.now() + deadlineMs;
    let node: NodeId | undefined;
    let lastError: unknown;
    for (let i = 0; i < attemptsMax; i++) {
      const group = await target().catch((error: unknown) => {
        throw new RoutedFailure(error, node ?? this.anyNode());
      });
      node = this.pick(group, read && i === 0, node, lastError);
      const leftMs = Math.floor(endAt - performance.now());
      if (i > 0 && leftMs < attemptMsMin) break;
      try {
        const value = await attempt(node, Math.max(1, leftMs));
        if (!read) this.learnt.set(group, node);
        return { value, node };
      } catch (error) {
        lastError = error;
        const refusal = refusalOf(error);
        this.learn(group, node, error);
        if (refusal === undefined) break;
        if (refusal === 'wrong-shard') await this.refresh().catch(() => undefined);
        if (refusal === 'no-leader' || refusal === 'overloaded') await sleep(pauseMs);
      }
    }
    throw new RoutedFailure(lastError, node ?? this.anyNode());
  }

  /** The node for the next attempt on `group`. */
  private pick(group: number, mayRead: boolean, previous: NodeId | undefined, lastError: unknown): NodeId {
    const replicas = this.view?.replicas.get(group) ?? [];
    if (replicas.length === 0) return this.anyNode();
    if (mayRead && this.rng.nextFloat() < this.followerReadShare) return replicas[this.rng.nextInt(replicas.length)] as NodeId;
    const leader = this.leaderOf(group);
    // After a pause the same node may lead again (or know who does); after other refusals, move on.
    const refusal = refusalOf(lastError);
    const sameAgain = refusal === 'no-leader' || refusal === 'overloaded';
    if (leader !== undefined && replicas.includes(leader) && (leader !== previous || sameAgain)) return leader;
    const others = replicas.filter((n) => n !== previous);
    return (others.length > 0 ? others[this.rng.nextInt(others.length)] : replicas[0]) as NodeId;
  }

  private leaderOf(group: number): NodeId | undefined {
    return this.learnt.get(group) ?? this.view?.leaders.get(group)?.node;
  }

  /** Follows a leader hint for `group`; forgets a leader that did not answer. */
  private learn(group: number, node: NodeId, error: unknown): void {
    const details = error instanceof KvError ? error.details : {};
    const hintGroup = details.group ?? group;
    const hint = details.leaderId;
    if (error instanceof KvError && error.code === 'NOT_LEADER' && hint !== undefined && hint > 0 && hintGroup === group) {
      this.learnt.set(group, nodeId(hint));
      return;
    }
    if (this.leaderOf(group) === node) {
      this.learnt.delete(group);
      this.forgetMapLeader(group);
    }
  }

  private forgetMapLeader(group: number): void {
    if (this.view === undefined || !this.view.leaders.has(group)) return;
    const leaders = new Map(this.view.leaders);
    leaders.delete(group);
    this.view = { ...this.view, leaders };
  }

  private anyNode(): NodeId {
    const nodes = this.cluster.nodes;
    return nodes[this.rng.nextInt(nodes.length)] as NodeId;
  }
}

/** The ring's ranges as text, to tell whether two maps route keys alike (a move changes no range). */
function rangesOf(view: ShardMapView): string {
  return view.ring.ranges.map((r) => `${r.start}:${r.group}`).join(',');
}
