/**
 * The client's cached shard map. Fetched from any endpoint on first use; fetched again after a
 * WRONG_SHARD refusal, but at most once per `SHARD_MAP_REFRESH_MS_MIN` (a burst of refusals costs
 * one fetch), and concurrent callers share one fetch in flight. A map never replaces one of a
 * higher epoch (a lagging node may still serve an older one). A failed refresh keeps the old map.
 * Being shared, a fetch takes no caller's abort signal: it is bounded by its deadline instead.
 */
import type { KeyHasher } from '../shard/hash-ring.js';
import type { ShardMapInfo } from './cluster-types.js';
import { RoutingTable } from './routing-table.js';

/** Fewest milliseconds between two shard map fetches caused by WRONG_SHARD. */
export const SHARD_MAP_REFRESH_MS_MIN = 250;

export interface ShardMapSource {
  /** The shard map from any node, within `deadlineMs`. */
  fetch(deadlineMs: number): Promise<ShardMapInfo>;
  /** Loads xxHash64 (once; only needed for a sharded map). */
  loadHasher(): Promise<KeyHasher>;
  /** Monotonic milliseconds. */
  now(): number;
  /** Sees every map fetched (the client seeds its leader cache from it). */
  onFetched?(info: ShardMapInfo): void;
}

/**
 * The routing table, fetched lazily and refreshed on demand.
 *
 * @example
 * ```ts
 * const cache = new ShardMapCache({ fetch, loadHasher: loadKeyHasher, now: () => performance.now() });
 * const table = await cache.table(5_000);
 * ```
 */
export class ShardMapCache {
  private current: RoutingTable | undefined;
  private inflight: Promise<RoutingTable> | undefined;
  private fetchedAtMs = Number.NEGATIVE_INFINITY;
  private fetches = 0;

  constructor(private readonly source: ShardMapSource) {}

  /** The cached table, if one was fetched. */
  cached(): RoutingTable | undefined {
    return this.current;
  }

  /** Fetches made so far (first use and refreshes). */
  get fetchCount(): number {
    return this.fetches;
  }

  /** The routing table, fetching the shard map first if this is the first use. */
  table(deadlineMs: number): Promise<RoutingTable> {
    return this.current === undefined ? this.load(deadlineMs) : Promise.resolve(this.current);
  }

  /** After a WRONG_SHARD: fetch again unless a fetch is running or ran very recently. Never throws. */
  async refresh(deadlineMs: number): Promise<void> {
    if (this.inflight === undefined && this.source.now() - this.fetchedAtMs < SHARD_MAP_REFRESH_MS_MIN) return;
    await this.load(deadlineMs).catch(() => undefined);
  }

  private load(deadlineMs: number): Promise<RoutingTable> {
    this.inflight ??= this.fetchTable(deadlineMs).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchTable(deadlineMs: number): Promise<RoutingTable> {
    this.fetchedAtMs = this.source.now();
    this.fetches++;
    const info = await this.source.fetch(deadlineMs);
    const table = RoutingTable.of(info, info.epoch > 0 ? await this.source.loadHasher() : null);
    if (this.current !== undefined && table.epoch < this.current.epoch) return this.current;
    this.current = table;
    this.source.onFetched?.(info);
    return table;
  }
}
