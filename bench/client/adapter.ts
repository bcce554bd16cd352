/**
 * The one interface the load generator sees, whatever the target: put and get with a read
 * consistency, failures as a `BenchCallError` carrying a short code. A target only supplies a
 * `TargetProtocol` (how to encode a put, a get and a status call, and how to read its errors);
 * routing, failover and connection handling live here, shared, so neither side gets a smarter
 * client than the other.
 *
 * Routing, like a client library's leader cache: every call of a generator process goes to one
 * current endpoint (the leader at start). A refusal that names another endpoint (raftkv's
 * NOT_LEADER hint) moves there and the call is sent there once more; a failure that says "this
 * member cannot serve" (unavailable, deadline, no leader) moves to the next endpoint in the list
 * and the call fails: the generator counts it and goes on. With a sharded raftkv cluster
 * (`--groups`), the group named in a NOT_LEADER reply is remembered per key, and each group has its
 * own route, so every key ends up going straight to its group's leader.
 */
import { GrpcEndpoint } from './grpc-unary.js';

export type ReadConsistency = 'linearizable' | 'serializable';

export interface KvAdapter {
  put(key: Uint8Array, value: Uint8Array): Promise<void>;
  get(key: Uint8Array, consistency: ReadConsistency): Promise<void>;
  close(): void;
}

export class BenchCallError extends Error {
  override readonly name = 'BenchCallError';
  constructor(
    /** Short and stable, for counting: "DEADLINE_EXCEEDED", "UNAVAILABLE:NOT_LEADER", ... */
    readonly code: string,
    message: string,
    /** Where the refusing member says the leader is ("host:port"), if it said. */
    readonly redirect?: string,
    /** The member cannot serve this call now: try another endpoint. */
    readonly rotate = false,
    /** raftkv: the group (shard) of the key, from the kv-group trailer. */
    readonly group?: string,
  ) {
    super(message);
  }
}

export interface MemberStatus {
  /** The member's own identity in the target's terms (raftkv node id, etcd member id). */
  readonly memberId: string;
  readonly isLeader: boolean;
  readonly term: number;
}

export interface TargetProtocol {
  put(endpoint: GrpcEndpoint, key: Uint8Array, value: Uint8Array, deadlineMs: number): Promise<void>;
  get(endpoint: GrpcEndpoint, key: Uint8Array, consistency: ReadConsistency, deadlineMs: number): Promise<void>;
  status(endpoint: GrpcEndpoint, deadlineMs: number): Promise<MemberStatus>;
  /** Turns whatever a call rejected with into a counted code. */
  classify(error: unknown): BenchCallError;
}

export interface RoutedAdapterOptions {
  /** Client addresses of every member; the first is where calls start (the leader). */
  readonly endpoints: readonly string[];
  readonly connections: number;
  readonly deadlineMs: number;
}

/** Route of calls whose group is not known (and of every etcd call). */
const defaultRoute = '';

export class RoutedAdapter implements KvAdapter {
  private readonly endpoints = new Map<string, GrpcEndpoint>();
  /** Route (a raftkv group id, or the default) -> the endpoint believed to lead it. */
  private readonly routes = new Map<string, string>();
  /** Key -> its raftkv group, learned from NOT_LEADER trailers. Keys are the workload's shared buffers. */
  private readonly keyGroups = new WeakMap<Uint8Array, string>();

  constructor(private readonly protocol: TargetProtocol, private readonly options: RoutedAdapterOptions) {
    const first = options.endpoints[0];
    if (first === undefined) throw new Error('RoutedAdapter needs at least one endpoint');
    this.routes.set(defaultRoute, first);
  }

  put(key: Uint8Array, value: Uint8Array): Promise<void> {
    return this.routed(key, (endpoint) => this.protocol.put(endpoint, key, value, this.options.deadlineMs));
  }

  get(key: Uint8Array, consistency: ReadConsistency): Promise<void> {
    return this.routed(key, (endpoint) => this.protocol.get(endpoint, key, consistency, this.options.deadlineMs));
  }

  close(): void {
    for (const endpoint of this.endpoints.values()) endpoint.close();
    this.endpoints.clear();
  }

  /**
   * One call on the endpoint of the key's route. A refusal that names the leader (the member
   * certainly did not execute the call) is sent there once more at once, as raftkv's SDK does and
   * as an etcd follower does internally by forwarding; the operation's latency includes the detour.
   */
  private async routed(key: Uint8Array, call: (endpoint: GrpcEndpoint) => Promise<void>): Promise<void> {
    const route = this.keyGroups.get(key) ?? defaultRoute;
    const first = this.endpoint(this.addressOf(route));
    try {
      await call(first);
    } catch (error) {
      const failure = this.reroute(key, route, first, error);
      if (failure.redirect === undefined || failure.redirect === first.address || !this.options.endpoints.includes(failure.redirect)) throw failure;
      const second = this.endpoint(failure.redirect);
      await call(second).catch((again: unknown) => {
        throw this.reroute(key, failure.group ?? route, second, again);
      });
    }
  }

  /** Classifies a failure, learns the key's group, and moves the route if the failure says so. */
  private reroute(key: Uint8Array, route: string, endpoint: GrpcEndpoint, error: unknown): BenchCallError {
    const failure = this.protocol.classify(error);
    const redirect = failure.redirect !== undefined && this.options.endpoints.includes(failure.redirect) ? failure.redirect : undefined;
    if (failure.group !== undefined && failure.group !== route) {
      this.keyGroups.set(key, failure.group);
      if (redirect !== undefined) this.routes.set(failure.group, redirect);
    }
    // Only the first of many concurrent failures on the same endpoint moves the route (for keys
    // of unknown group, the default route follows the latest hint).
    if (endpoint.address === this.addressOf(route)) {
      if (redirect !== undefined) this.routes.set(route, redirect);
      else if (failure.rotate) this.routes.set(route, this.nextAfter(endpoint.address));
    }
    return failure;
  }

  private addressOf(route: string): string {
    return this.routes.get(route) ?? this.routes.get(defaultRoute) ?? this.options.endpoints[0] ?? '';
  }

  private nextAfter(address: string): string {
    const list = this.options.endpoints;
    const index = list.indexOf(address);
    return list[(index + 1) % list.length] ?? address;
  }

  private endpoint(address: string): GrpcEndpoint {
    let endpoint = this.endpoints.get(address);
    if (endpoint === undefined) {
      endpoint = new GrpcEndpoint(address, this.options.connections);
      this.endpoints.set(address, endpoint);
    }
    return endpoint;
  }
}
