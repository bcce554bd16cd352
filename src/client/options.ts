/**
 * Options of the client and of each call.
 */
import { randomUUID } from 'node:crypto';
import { KvClientError } from './errors.js';
import type { RetryOptions } from './retry-policy.js';
import type { Credentials } from './credentials.js';
import type { ClientTlsOptions } from './client-tls.js';

const SESSION_PREFIX_BYTES_MAX = 100;

/**
 * How a read is served.
 * - `linearizable` (default): reflects every write acknowledged before the read started.
 * - `serializable`: any node answers from its own state; may be stale, never waits for a quorum.
 * - `lease`: the leader answers while its lease holds (needs `raftkv serve --lease-reads`).
 *
 * @example
 * ```ts
 * const consistency: Consistency = 'serializable';
 * await client.get('a', { consistency });
 * ```
 */
export type Consistency = 'linearizable' | 'serializable' | 'lease';

/**
 * Per-call options of a read.
 *
 * @example
 * ```ts
 * await client.get('a', { consistency: 'serializable', deadlineMs: 500 });
 * ```
 */
export interface ReadOptions {
  readonly consistency?: Consistency;
  /** Milliseconds for the whole call, retries included; the client's default if absent. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Per-call options of a write.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * await client.put('a', '1', { deadlineMs: 2_000, signal: controller.signal });
 * ```
 */
export interface WriteOptions {
  /** Milliseconds for the whole call, retries included; the client's default if absent. */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * A failed attempt the client is about to retry or give up on, for logging and metrics.
 *
 * @example
 * ```ts
 * createClient({ endpoints, onAttemptFailed: (e) => console.warn(e.call, e.endpoint, e.error.code, e.action) });
 * ```
 */
export interface AttemptFailure {
  readonly call: string;
  readonly attempt: number;
  readonly endpoint: string;
  readonly error: unknown;
  readonly action: 'redirect' | 'backoff' | 'renewSession' | 'fail';
}

/**
 * How to build a client.
 *
 * @example
 * ```ts
 * const client = createClient({ endpoints: ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'] });
 * ```
 */
export interface ClientOptions {
  /** `host:port` of one or more nodes; the client finds the leader among them. */
  readonly endpoints: readonly string[];
  /** Deadline of a call when it gives none; default 5000 ms. */
  readonly defaultDeadlineMs?: number;
  /** Retry bounds; defaults: 10 attempts, backoff 25..1000 ms. */
  readonly retry?: Partial<RetryOptions>;
  /**
   * Exactly-once writes: a prefix for the session ids this client makes (default: random), or
   * `false` to send writes without a session (a retried write may then apply twice, so only writes
   * that certainly did not reach a server are retried).
   */
  readonly sessionId?: string | false;
  /** Sessions, and so concurrent exactly-once writes, per client; default 16. More writers wait. */
  readonly sessionsMax?: number;
  /** Source of backoff jitter in [0, 1); default Math.random. For tests. */
  readonly random?: () => number;
  /** Called for each failed attempt. */
  readonly onAttemptFailed?: (failure: AttemptFailure) => void;
  /** Who the client is when the cluster has auth enabled (credentials.ts, docs/auth.md). */
  readonly credentials?: Credentials;
  /** TLS (a cluster started with --tls-cert); absent: plaintext. */
  readonly tls?: ClientTlsOptions;
}

/** The endpoint list, trimmed and deduplicated; INVALID_ARGUMENT if empty or not host:port. */
export function checkedEndpoints(endpoints: readonly string[]): string[] {
  const list = endpoints.map((e) => e.trim()).filter((e) => e !== '');
  if (list.length === 0) throw new KvClientError('INVALID_ARGUMENT', 'Cannot create the client: endpoints is empty; give host:port of at least one node', { details: { field: 'endpoints' } });
  for (const e of list) {
    if (!/^[^\s]+:\d{1,5}$/.test(e)) throw new KvClientError('INVALID_ARGUMENT', `Cannot create the client: endpoint "${e.slice(0, 100)}" is not host:port`, { details: { field: 'endpoints' } });
  }
  return [...new Set(list)];
}

/** The session id prefix: the caller's (1..100 bytes) or a random one. */
export function checkedSessionPrefix(prefix: string | undefined): string {
  if (prefix === undefined) return randomUUID().replaceAll('-', '');
  if (prefix === '' || new TextEncoder().encode(prefix).byteLength > SESSION_PREFIX_BYTES_MAX) {
    throw new KvClientError('INVALID_ARGUMENT', `Cannot create the client: sessionId must be 1..${SESSION_PREFIX_BYTES_MAX} bytes`, { details: { field: 'sessionId' } });
  }
  return prefix;
}

/** A whole number of at least 1 for option `name`, or INVALID_ARGUMENT. */
export function checkedPositive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new KvClientError('INVALID_ARGUMENT', `Cannot create the client: ${name} must be a whole number of 1 or more, got ${value}`, { details: { field: name } });
  }
  return value;
}
