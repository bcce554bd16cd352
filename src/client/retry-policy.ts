/**
 * When the SDK may send a failed call again, and how long it waits first. Pure: the caller passes
 * the random source, so jitter is testable (and replayable).
 *
 * A retry is only safe when the first attempt certainly did not apply, or when the server would
 * recognise the retry as a duplicate (a write with a session id and the same seq, thesis §6.3):
 *
 * | failure                                    | read     | write + session | write, no session |
 * | ------------------------------------------ | -------- | --------------- | ----------------- |
 * | NOT_LEADER with a leader address           | redirect | redirect        | redirect          |
 * | NOT_LEADER without one, NO_LEADER (server) | backoff  | backoff         | backoff           |
 * | OVERLOADED, WRONG_SHARD, CORRUPT (server)  | backoff  | backoff         | backoff           |
 * | UNAVAILABLE, never sent (no connection)    | backoff  | backoff         | backoff           |
 * | UNAVAILABLE after sending (dropped)        | backoff  | backoff*        | fail*             |
 * | TIMEOUT (deadline, or server gave up)      | backoff  | backoff*        | fail*             |
 * | INVALID_ARGUMENT on session/seq            | fail     | renew session   | fail              |
 * | UNAUTHENTICATED: the token expired         | backoff  | backoff         | backoff           |
 * | anything else                              | fail     | fail            | fail              |
 *
 * `*`: the attempt may have applied, so if the call finally fails it is an OutcomeUnknownError.
 * Before the backoff after WRONG_SHARD, the runner refreshes the shard map (call-runner.ts).
 * NOSPACE (a space quota alarm) fails at once: waiting does not free space.
 * The server refuses before proposing for NOT_LEADER, NO_LEADER, OVERLOADED, NOSPACE and CORRUPT (and a proposal
 * overwritten in a leader change also answers NOT_LEADER), which is why those are safe for writes
 * without a session. Backoff retries stop at the attempt bound or the call's deadline.
 */
import { GRPC_STATUS, KvClientError } from './errors.js';

/**
 * Bounds of the retry loop.
 *
 * @example
 * ```ts
 * createClient({ endpoints, retry: { attemptsMax: 5, backoffMsMin: 20, backoffMsMax: 500 } });
 * ```
 */
export interface RetryOptions {
  /** Attempts per call, the first one included (>= 1). */
  readonly attemptsMax: number;
  /** Lower bound of every backoff wait. */
  readonly backoffMsMin: number;
  /** Upper bound of every backoff wait. */
  readonly backoffMsMax: number;
}

export const retryDefaults: RetryOptions = { attemptsMax: 10, backoffMsMin: 25, backoffMsMax: 1_000 };

export type OperationKind = 'read' | 'write';

export interface OperationTraits {
  readonly kind: OperationKind;
  /** A write that carries (session id, seq): the server deduplicates a retry. */
  readonly hasSession: boolean;
}

/**
 * What to do after a failed attempt.
 * - `redirect`: send again at once to the hinted leader.
 * - `backoff`: wait `backoffMs`, then send again (to the next candidate endpoint).
 * - `renewSession`: the server forgot or refused this write's session; send again at once with a
 *   fresh one (only safe if no earlier attempt may have applied).
 * - `fail`: give up with this error.
 * `maybeApplied` says whether this attempt could have applied the write.
 */
export type RetryDecision =
  | { readonly action: 'redirect' | 'renewSession'; readonly maybeApplied: false }
  | { readonly action: 'backoff' | 'fail'; readonly maybeApplied: boolean };

const REDIRECT: RetryDecision = { action: 'redirect', maybeApplied: false };
const RENEW: RetryDecision = { action: 'renewSession', maybeApplied: false };
const BACKOFF: RetryDecision = { action: 'backoff', maybeApplied: false };
const FAIL: RetryDecision = { action: 'fail', maybeApplied: false };

/** Backoff if a duplicate is harmless (read, or write with a session); otherwise fail. */
function ambiguous(op: OperationTraits): RetryDecision {
  if (op.kind === 'read') return BACKOFF;
  return { action: op.hasSession ? 'backoff' : 'fail', maybeApplied: true };
}

/**
 * Classifies one failed attempt (see the table at the top of this file).
 *
 * @example
 * ```ts
 * decideRetry(err, { kind: 'write', hasSession: true }); // { action: 'backoff', maybeApplied: true } on a timeout
 * ```
 */
export function decideRetry(error: unknown, op: OperationTraits): RetryDecision {
  if (!(error instanceof KvClientError)) return FAIL;
  if (error.neverSent) return error.grpcCode === GRPC_STATUS.CANCELLED ? FAIL : BACKOFF;
  if (error.fromServer) {
    switch (error.code) {
      case 'NOT_LEADER':
        return error.details.leaderAddr === undefined ? BACKOFF : REDIRECT;
      case 'NO_LEADER':
      case 'OVERLOADED':
      case 'WRONG_SHARD':
      case 'CORRUPT':
        return BACKOFF;
      case 'UNAUTHENTICATED':
        // An expired token: the auth dropped it (credentials.ts), so the retry logs in again.
        return error.message.includes('token expired') ? BACKOFF : FAIL;
      case 'INVALID_ARGUMENT': {
        const field = error.details.field;
        return op.kind === 'write' && op.hasSession && (field === 'session' || field === 'seq') ? RENEW : FAIL;
      }
      default:
        return FAIL;
    }
  }
  if (error.grpcCode === GRPC_STATUS.UNAVAILABLE || error.grpcCode === GRPC_STATUS.DEADLINE_EXCEEDED) return ambiguous(op);
  if (error.grpcCode === GRPC_STATUS.CANCELLED) return { action: 'fail', maybeApplied: op.kind === 'write' };
  return FAIL;
}

/**
 * The wait before retry number `retry` (1 for the first retry): jittered exponential backoff.
 * The ceiling doubles per retry from `2 * backoffMsMin` up to `backoffMsMax`; the wait is uniform in
 * [backoffMsMin, ceiling]. `random` returns values in [0, 1).
 *
 * @example
 * ```ts
 * backoffMs(3, retryDefaults, Math.random); // between 25 and 200
 * ```
 */
export function backoffMs(retry: number, options: RetryOptions, random: () => number): number {
  const exponent = Math.min(Math.max(retry, 1), 30);
  const ceiling = Math.min(options.backoffMsMax, options.backoffMsMin * 2 ** exponent);
  const floor = Math.min(options.backoffMsMin, ceiling);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(floor + r * (ceiling - floor));
}

/** Checks options given by a caller; throws INVALID_ARGUMENT naming the bad one. */
export function checkedRetryOptions(options: Partial<RetryOptions> | undefined): RetryOptions {
  const merged = { ...retryDefaults, ...options };
  const bad = (name: string, rule: string): never => {
    throw new KvClientError('INVALID_ARGUMENT', `Cannot create the client: retry.${name} must be ${rule}`, { details: { field: `retry.${name}` } });
  };
  if (!Number.isSafeInteger(merged.attemptsMax) || merged.attemptsMax < 1) bad('attemptsMax', 'an integer of 1 or more');
  if (!(merged.backoffMsMin >= 0)) bad('backoffMsMin', '0 or more');
  if (!(merged.backoffMsMax >= merged.backoffMsMin)) bad('backoffMsMax', 'at least backoffMsMin');
  return merged;
}

/** Resolves after `ms`, or rejects with `onAbort()` once `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined, onAbort: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(onAbort());
      return;
    }
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
