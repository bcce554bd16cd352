/**
 * The errors the SDK throws. Every one is a `KvError` from the shared catalogue
 * (src/shared/errors.ts), so `err instanceof KvError && err.code === 'CAS_MISMATCH'` works for all
 * of them; the subclasses here add what only a client can know: the gRPC status the call ended
 * with, whether the request certainly never reached a server, and the leader hint.
 */
import { KvError, type KvErrorCode, type KvErrorDetails } from '../shared/errors.js';

export { KvError };
export type { KvErrorCode, KvErrorDetails };

/** gRPC status numbers the SDK reasons about (from grpc's status.proto). */
export const GRPC_STATUS = { CANCELLED: 1, DEADLINE_EXCEEDED: 4, FAILED_PRECONDITION: 9, UNIMPLEMENTED: 12, UNAVAILABLE: 14 } as const;

/**
 * Where the server that refused a call believes the group's leader is (NOT_LEADER trailers). A
 * hint is only as fresh as its `term`: the SDK ignores hints older than the term it has seen.
 *
 * @example
 * ```ts
 * if (err instanceof KvClientError && err.leaderHint?.leaderAddr !== undefined) console.log(err.leaderHint.leaderAddr);
 * ```
 */
export interface LeaderHint {
  readonly group: number;
  readonly term?: number;
  readonly leaderId?: number;
  readonly leaderAddr?: string;
}

export interface KvClientErrorOptions {
  readonly details?: KvErrorDetails;
  readonly grpcCode?: number;
  /** The server explained the failure in kv-* trailers (it received and judged the request). */
  readonly fromServer?: boolean;
  /** The request certainly never left this process (no connection could be made). */
  readonly neverSent?: boolean;
  readonly cause?: unknown;
}

/**
 * A failed call, as the SDK saw it: the catalogue code, the gRPC status, the leader hint.
 *
 * @example
 * ```ts
 * try {
 *   await kv.put('a', '1');
 * } catch (err) {
 *   if (err instanceof KvClientError) console.error(err.code, err.grpcCode, err.message);
 * }
 * ```
 */
export class KvClientError extends KvError {
  /** The gRPC status number the call ended with; undefined when no call was made. */
  readonly grpcCode: number | undefined;
  readonly fromServer: boolean;
  readonly neverSent: boolean;

  constructor(code: KvErrorCode, message: string, options: KvClientErrorOptions = {}) {
    super(code, message, options.details ?? {});
    this.grpcCode = options.grpcCode;
    this.fromServer = options.fromServer ?? false;
    this.neverSent = options.neverSent ?? false;
    if (options.cause !== undefined) this.cause = options.cause;
  }

  /** The leader hint of a NOT_LEADER refusal; undefined for other errors. */
  get leaderHint(): LeaderHint | undefined {
    const d = this.details;
    if (this.code !== 'NOT_LEADER') return undefined;
    return {
      group: d.group ?? 0,
      ...(d.term === undefined ? {} : { term: d.term }),
      ...(d.leaderId === undefined ? {} : { leaderId: d.leaderId }),
      ...(d.leaderAddr === undefined ? {} : { leaderAddr: d.leaderAddr }),
    };
  }
}

/**
 * A write that may or may not have been applied: its deadline passed, it was aborted, or its
 * connection dropped after the request was sent, and it could not be retried safely. Read the key
 * before deciding whether to write again. Code `TIMEOUT`.
 *
 * @example
 * ```ts
 * try {
 *   await kv.put('a', '1', { deadlineMs: 200 });
 * } catch (err) {
 *   if (err instanceof OutcomeUnknownError) console.log('maybe applied:', (await kv.get('a'))?.text());
 * }
 * ```
 */
export class OutcomeUnknownError extends KvClientError {
  override readonly name: string = 'OutcomeUnknownError';
  constructor(message: string, cause?: unknown) {
    super('TIMEOUT', message, { grpcCode: GRPC_STATUS.DEADLINE_EXCEEDED, cause });
    // KvError declares `name` as the literal 'KvError'; the runtime name still says what this is.
  }
}

/**
 * No endpoint answered at all: every connection attempt failed. Code `NO_LEADER` (retryable later).
 *
 * @example
 * ```ts
 * try {
 *   await kv.get('a');
 * } catch (err) {
 *   if (err instanceof UnreachableError) console.error(`tried ${err.endpoints.join(', ')}: ${err.reason}`);
 * }
 * ```
 */
export class UnreachableError extends KvClientError {
  override readonly name: string = 'UnreachableError';
  constructor(
    readonly endpoints: readonly string[],
    /** Short reason, e.g. "connection refused". */
    readonly reason: string,
    cause?: unknown,
  ) {
    super('NO_LEADER', `Cannot reach any endpoint: tried ${endpoints.join(', ')} (${reason})`, { grpcCode: GRPC_STATUS.UNAVAILABLE, cause });
  }
}

const TRANSPORT_REASONS: readonly (readonly [RegExp, string])[] = [
  [/ECONNREFUSED/, 'connection refused'],
  [/ENOTFOUND|EAI_AGAIN|Name resolution failed|DNS resolution failed/i, 'host not found'],
  [/ETIMEDOUT|timed out/i, 'connection timed out'],
  [/ECONNRESET|socket hang up|Connection dropped|closed/i, 'connection reset'],
  [/EHOSTUNREACH|ENETUNREACH/, 'host unreachable'],
];

/** A short, human reason for a transport failure message from grpc-js. */
export function transportReason(message: string): string {
  // The stub already named the address and the TLS reason (kv-stub.ts): keep all of it.
  if (message.startsWith('TLS handshake with')) return message;
  for (const [pattern, reason] of TRANSPORT_REASONS) if (pattern.test(message)) return reason;
  return 'unavailable';
}

/** True for an error that means "no server answered": grpc UNAVAILABLE without kv-* trailers. */
export function isTransportFailure(error: unknown): error is KvClientError {
  return error instanceof KvClientError && !error.fromServer && error.grpcCode === GRPC_STATUS.UNAVAILABLE;
}
