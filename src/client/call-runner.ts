/**
 * Sends one logical call until it succeeds or must give up: picks the endpoint (the cached leader
 * of the call's group, else the next of its candidates: the group's replicas from the shard map, or
 * the configured endpoints round-robin; or a pinned one), follows NOT_LEADER hints at once,
 * refreshes the shard map on WRONG_SHARD, backs off on the rest of the
 * retryable failures (retry-policy.ts), keeps the leader cache fresh from hints and leader replies,
 * and turns the final failure into the right error: OutcomeUnknownError when a write may have
 * applied, UnreachableError when no endpoint answered at all. Every attempt gets the time left
 * until the call's deadline, so nothing is retried past it. When every candidate endpoint has
 * refused a connection twice within one call, the cluster is down (or the endpoints are wrong):
 * the call fails at once instead of backing off through all its attempts.
 */
import { KvClientError, OutcomeUnknownError, UnreachableError, GRPC_STATUS, isTransportFailure, transportReason } from './errors.js';
import type { LeaderCache } from './leader-cache.js';
import type { CallOptions, KvStub, Message } from './kv-stub.js';
import type { AttemptFailure } from './options.js';
import { backoffMs, decideRetry, sleep, type OperationKind, type RetryDecision, type RetryOptions } from './retry-policy.js';
import type { SessionLease } from './session-pool.js';
import { decodeHeader } from './wire.js';

/** Connection failures per configured endpoint after which a call stops trying (see above). */
const UNREACHABLE_ROUNDS_MAX = 2;

export type Route = 'leader' | 'any' | { readonly endpoint: string };

export interface CallSpec {
  /** Names the call in messages, e.g. `put of key "a"`. */
  readonly name: string;
  readonly send: (stub: KvStub, request: Message, options: CallOptions) => Promise<Message>;
  readonly request: Message;
  readonly kind: OperationKind;
  readonly route: Route;
  /** The Raft group that serves the call: its leader is looked up, and learnt, under this id. */
  readonly group: number;
  /**
   * Where the group lives (its replicas' addresses from the shard map, preferred leader first),
   * tried in order when no leader is cached; absent or empty: the configured endpoints round-robin.
   * Called per attempt, so a refreshed shard map takes effect within the call.
   */
  readonly candidates?: () => readonly string[];
  /** Only the group's leader can answer this call: its reply names the leader. */
  readonly answeredByLeader: boolean;
  readonly session?: SessionLease;
  readonly deadlineMs: number;
  /** The deadline the caller asked for, for messages, when `deadlineMs` is what is left of it. */
  readonly statedDeadlineMs?: number;
  readonly signal?: AbortSignal;
  /** Overrides the client's bound, e.g. 1 for a call pinned to one node. */
  readonly attemptsMax?: number;
  /**
   * Asked after a WRONG_SHARD from a server and the map refresh: true ends the call with that
   * error instead of retrying the same group, so the caller routes it again by the new map (a
   * split moved the key to another group).
   */
  readonly routeChanged?: () => boolean;
}

/** Where calls go: EndpointPool, or a fake in tests. */
export interface EndpointSource {
  readonly endpoints: readonly string[];
  stub(address: string): KvStub;
  /** The next configured endpoint, round-robin. */
  next(): string;
  /** Starts connecting to `address` if not connected yet, without sending anything. */
  connect?(address: string): void;
}

export interface RunnerContext {
  readonly pool: EndpointSource;
  readonly leaders: LeaderCache;
  readonly retry: RetryOptions;
  readonly random: () => number;
  readonly onAttemptFailed?: (failure: AttemptFailure) => void;
  /** Called after a WRONG_SHARD refusal, before the retry: refresh the shard map (never throws). */
  readonly onWrongShard?: (deadlineMs: number) => Promise<void>;
}

export interface CallResult {
  readonly response: Message;
  readonly endpoint: string;
}

/** What one logical call has seen so far. */
interface CallState {
  readonly deadlineAt: number;
  attempts: number;
  backoffs: number;
  maybeApplied: boolean;
  serverAnswered: boolean;
  lastError: unknown;
  /** Transport failures per address during this call. */
  readonly unreachable: Map<string, number>;
  /** Addresses that answered WRONG_SHARD during this call: they do not host the group. */
  readonly wrongShard: Set<string>;
}

function otherGroupsLeader(spec: CallSpec, error: KvClientError): boolean {
  const hinted = error.leaderHint?.group;
  return hinted !== undefined && hinted !== spec.group;
}

export class CallRunner {
  constructor(private readonly context: RunnerContext) {}

  async run(spec: CallSpec): Promise<CallResult> {
    const state: CallState = {
      deadlineAt: Date.now() + spec.deadlineMs, attempts: 0, backoffs: 0, maybeApplied: false,
      serverAnswered: false, lastError: undefined, unreachable: new Map(), wrongShard: new Set(),
    };
    const attemptsMax = spec.attemptsMax ?? this.context.retry.attemptsMax;
    let redirect: string | undefined;
    while (state.attempts < attemptsMax) {
      if (spec.signal?.aborted === true) throw this.aborted(spec, state);
      const remainingMs = state.deadlineAt - Date.now();
      if (remainingMs <= 0) break;
      const address = redirect ?? this.target(spec, state);
      redirect = undefined;
      state.attempts++;
      try {
        const request = spec.session === undefined ? spec.request : { ...spec.request, ...spec.session.fields() };
        const response = await spec.send(this.context.pool.stub(address), request, { deadlineMs: remainingMs, ...(spec.signal === undefined ? {} : { signal: spec.signal }) });
        this.learnFromReply(spec, address, response);
        return { response, endpoint: address };
      } catch (error) {
        const next = await this.afterFailure(spec, state, address, error, attemptsMax);
        if (next !== undefined) redirect = next;
      }
    }
    throw this.exhausted(spec, state);
  }

  /** Decides after a failed attempt: throws to give up, returns a redirect address, or waits. */
  private async afterFailure(spec: CallSpec, state: CallState, address: string, error: unknown, attemptsMax: number): Promise<string | undefined> {
    state.lastError = error;
    const neverSent = error instanceof KvClientError && error.neverSent;
    if (spec.signal?.aborted === true) {
      state.maybeApplied ||= spec.kind === 'write' && !neverSent;
      throw this.aborted(spec, state);
    }
    const decision = decideRetry(error, { kind: spec.kind, hasSession: spec.session !== undefined });
    state.maybeApplied ||= decision.maybeApplied;
    this.learnFromError(spec, state, address, error);
    const action = this.effectiveAction(spec, state, address, decision.action);
    this.context.onAttemptFailed?.({ call: spec.name, attempt: state.attempts, endpoint: address, error, action });
    if (this.allRefusedTwice(spec, state)) throw this.exhausted(spec, state);
    if (action === 'fail') throw typeof spec.route !== 'string' && isTransportFailure(error) ? this.exhausted(spec, state) : this.failure(spec, state, error);
    if (action === 'redirect') return this.context.leaders.leaderAddress(spec.group);
    if (action === 'renewSession') {
      spec.session?.renew();
      return address;
    }
    if (error instanceof KvClientError && error.fromServer && (error.code === 'WRONG_SHARD' || otherGroupsLeader(spec, error))) {
      // A NOT_LEADER about another group means the server routed the key by a newer map (a split).
      await this.context.onWrongShard?.(Math.max(0, state.deadlineAt - Date.now()));
      if (spec.routeChanged?.() === true) throw error;
    }
    const remainingMs = state.deadlineAt - Date.now();
    if (state.attempts >= attemptsMax || remainingMs <= 0) return undefined;
    state.backoffs++;
    const waitMs = Math.min(backoffMs(state.backoffs, this.context.retry, this.context.random), remainingMs);
    await sleep(waitMs, spec.signal, () => this.aborted(spec, state));
    return undefined;
  }

  /**
   * What the loop really does next: a redirect needs a cached leader other than the node that
   * refused (else it backs off), a session renewal needs no earlier attempt that may have applied,
   * and a call pinned to one endpoint never moves (its failure is final).
   */
  private effectiveAction(spec: CallSpec, state: CallState, address: string, action: RetryDecision['action']): RetryDecision['action'] {
    if (action === 'fail' || typeof spec.route !== 'string') return 'fail';
    if (action === 'renewSession') return state.maybeApplied || spec.session === undefined ? 'fail' : 'renewSession';
    if (action === 'redirect') {
      const leader = this.context.leaders.leaderAddress(spec.group);
      return leader !== undefined && leader !== address ? 'redirect' : 'backoff';
    }
    return action;
  }

  private allRefusedTwice(spec: CallSpec, state: CallState): boolean {
    const candidates = spec.candidates?.() ?? [];
    const tried = candidates.length > 0 ? candidates : this.context.pool.endpoints;
    return !state.serverAnswered && tried.every((e) => (state.unreachable.get(e) ?? 0) >= UNREACHABLE_ROUNDS_MAX);
  }

  private target(spec: CallSpec, state: CallState): string {
    if (typeof spec.route !== 'string') return spec.route.endpoint;
    const failed = (address: string): boolean => state.unreachable.has(address) || state.wrongShard.has(address);
    if (spec.route === 'leader') {
      const leader = this.context.leaders.leaderAddress(spec.group);
      if (leader !== undefined && !failed(leader)) return leader;
    }
    const candidates = spec.candidates?.() ?? [];
    if (candidates.length > 0) {
      // The leader is unknown, so this attempt is a guess, and a wrong guess answers NOT_LEADER
      // naming another replica. Connect to every replica now: the redirect then finds its
      // connection open instead of setting one up after the refusal, in series (under CPU load a
      // new connection cost seconds, and puts to groups the contacted node lacked ran out of time).
      if (spec.route === 'leader') for (const candidate of candidates) this.context.pool.connect?.(candidate);
      // In order from the attempt number: the preferred leader first, then the next replica.
      for (let i = 0; i < candidates.length; i++) {
        const candidate = candidates[(state.attempts + i) % candidates.length];
        if (candidate !== undefined && !failed(candidate)) return candidate;
      }
      return candidates[state.attempts % candidates.length] ?? this.context.pool.next();
    }
    // Prefer endpoints that have not failed during this call; when all have, try them again.
    const { endpoints } = this.context.pool;
    for (let i = 0; i < endpoints.length; i++) {
      const candidate = this.context.pool.next();
      if (!failed(candidate)) return candidate;
    }
    return this.context.pool.next();
  }

  private learnFromReply(spec: CallSpec, address: string, response: Message): void {
    if (!spec.answeredByLeader) return;
    const header = decodeHeader(response);
    if (header.nodeId > 0) this.context.leaders.observe(spec.group, { term: header.raftTerm, leaderId: header.nodeId, address });
  }

  private learnFromError(spec: CallSpec, state: CallState, address: string, error: unknown): void {
    if (isTransportFailure(error) || (error instanceof KvClientError && error.grpcCode === GRPC_STATUS.DEADLINE_EXCEEDED && !error.fromServer && spec.kind === 'read')) {
      if (isTransportFailure(error)) state.unreachable.set(address, (state.unreachable.get(address) ?? 0) + 1);
      this.context.leaders.forget(spec.group, address);
      return;
    }
    if (!(error instanceof KvClientError)) return;
    state.serverAnswered = true;
    if (error.code === 'WRONG_SHARD' && error.fromServer) {
      state.wrongShard.add(address);
      this.context.leaders.forget(spec.group, address);
    }
    const hint = error.leaderHint;
    if (hint?.term !== undefined) {
      this.context.leaders.observe(hint.group, { term: hint.term, ...optional('leaderId', hint.leaderId), ...optional('address', hint.leaderAddr) });
    }
    if (error.code === 'NO_LEADER' && error.fromServer) this.context.leaders.forget(spec.group, address);
  }

  private failure(spec: CallSpec, state: CallState, error: unknown): Error {
    if (spec.kind === 'write' && state.maybeApplied) {
      return new OutcomeUnknownError(`Cannot tell whether the ${spec.name} applied: ${ambiguity(spec, error)}; read the key before writing again`, error);
    }
    if (error instanceof Error) return error;
    return new KvClientError('INTERNAL', `Cannot finish the ${spec.name}: ${String(error)}`, { cause: error });
  }

  private exhausted(spec: CallSpec, state: CallState): Error {
    const last = state.lastError;
    if (spec.kind === 'write' && state.maybeApplied) return this.failure(spec, state, last);
    if (!state.serverAnswered && state.unreachable.size > 0) {
      return new UnreachableError([...state.unreachable.keys()], transportReason(messageOf(last)), last);
    }
    if (Date.now() >= state.deadlineAt) {
      const after = last === undefined ? '' : `; last error: ${messageOf(last)}`;
      return new KvClientError('TIMEOUT', `Cannot finish the ${spec.name}: the deadline of ${spec.statedDeadlineMs ?? spec.deadlineMs} ms passed after ${state.attempts} attempt(s)${after}`, { grpcCode: GRPC_STATUS.DEADLINE_EXCEEDED, cause: last });
    }
    return last instanceof Error ? last : new KvClientError('INTERNAL', `Cannot finish the ${spec.name} after ${state.attempts} attempt(s)`);
  }

  private aborted(spec: CallSpec, state: CallState): Error {
    if (spec.kind === 'write' && state.maybeApplied) {
      return new OutcomeUnknownError(`Cannot tell whether the ${spec.name} applied: aborted by the caller while it was in flight`, state.lastError);
    }
    return new KvClientError('TIMEOUT', `Cannot finish the ${spec.name}: aborted by the caller`, { grpcCode: GRPC_STATUS.CANCELLED, cause: state.lastError });
  }
}

/** Why a write's outcome is unknown, in a few words. */
function ambiguity(spec: CallSpec, error: unknown): string {
  if (!(error instanceof KvClientError)) return messageOf(error);
  // The server's own deadline answer and grpc-js's local one race; both mean the same to the caller.
  if (error.grpcCode === GRPC_STATUS.DEADLINE_EXCEEDED) return `its deadline of ${spec.statedDeadlineMs ?? spec.deadlineMs} ms passed`;
  if (error.fromServer) return messageOf(error);
  if (error.grpcCode === GRPC_STATUS.UNAVAILABLE) return `the connection dropped after the request was sent (${transportReason(error.message)})`;
  if (error.grpcCode === GRPC_STATUS.CANCELLED) return 'it was cancelled while in flight';
  return messageOf(error);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
