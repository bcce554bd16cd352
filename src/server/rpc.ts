/**
 * What every unary handler of the Kv and Cluster services shares: the call's deadline, the
 * request size bound, mapping errors to statuses (a broken invariant stops the process, anything
 * else unexpected is INTERNAL and the server keeps serving), and counting calls in progress so a
 * graceful shutdown can wait for them.
 */
import { status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { InvariantError } from '../shared/assert.js';
import { KvError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { UndecodableRequest } from '../transport/proto-loader.js';
import * as req from './requests.js';
import { toServiceError } from './status-mapping.js';
import type { CallIdentity, GuardedCall } from './access-guard.js';

export type Obj = Record<string, unknown>;
/** `identity`: who the call runs as (access-guard.ts); empty user when auth is off and none was given. */
export type Handler = (request: Obj, deadlineMs: number, identity: CallIdentity) => Promise<Obj>;
/** Authorizes a call before its handler runs (access-guard.ts); throws UNAUTHENTICATED or PERMISSION_DENIED. */
export type Guard = (call: GuardedCall, method: string, request: Obj) => CallIdentity;

/** Client calls in progress: a shutdown lets them finish while Raft still runs (main.ts). */
export class CallTracker {
  private count = 0;
  private idleWaiters: (() => void)[] = [];

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once no call is in progress. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

export interface RpcContext {
  readonly logger: Logger;
  readonly requestBytesMax: number;
  readonly defaultDeadlineMs: number;
  /** Called on a broken invariant: log at fatal and exit. */
  readonly onFatal: (error: Error) => void;
  readonly calls?: CallTracker;
  /** Told of every completed call: method, status code name (OK, NOT_FOUND...) and seconds. */
  readonly observeCall?: (method: string, code: string, seconds: number) => void;
  /** Absent in tests that serve without auth: every call then runs as nobody. */
  readonly guard?: Guard;
}

export function deadlineMsOf(call: { getDeadline(): Date | number }, fallbackMs: number): number {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : fallbackMs;
}

/** Checks the request decoded and is within the size bound before any handler looks at it. */
export function checkedRequest(context: Pick<RpcContext, 'requestBytesMax'>, request: unknown): Obj {
  if (request instanceof UndecodableRequest) throw new KvError('INVALID_ARGUMENT', request.reason, { field: 'request' });
  const body = req.obj(request, 'request');
  const bytes = req.payloadBytes(body);
  if (bytes > context.requestBytesMax) {
    throw new KvError('INVALID_ARGUMENT', `Cannot accept request: it carries ${bytes} bytes, more than the limit of ${context.requestBytesMax} (requestBytesMax)`, { field: 'request' });
  }
  return body;
}

export function unary(context: RpcContext, method: string, handler: Handler) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const started = performance.now();
    const deadlineMs = deadlineMsOf(call, context.defaultDeadlineMs);
    context.calls?.begin();
    Promise.resolve()
      .then(() => {
        const request = checkedRequest(context, call.request);
        return handler(request, deadlineMs, context.guard?.(call, method, request) ?? { user: '', via: 'none' });
      })
      .then(
        (response) => {
          context.logger.debug({ method, durMs: Math.round(performance.now() - started) }, 'rpc ok');
          context.observeCall?.(method, 'OK', (performance.now() - started) / 1000);
          callback(null, response);
        },
        (error: unknown) => {
          const failure = serviceError(context, method, error);
          context.observeCall?.(method, status[failure?.code ?? status.UNKNOWN] ?? 'UNKNOWN', (performance.now() - started) / 1000);
          callback(failure);
        },
      )
      .finally(() => context.calls?.end());
  };
}

export function serviceError(context: RpcContext, method: string, error: unknown): Parameters<sendUnaryData<unknown>>[0] {
  if (error instanceof KvError) {
    context.logger.debug({ method, code: error.code }, 'rpc failed');
    return toServiceError(error);
  }
  if (error instanceof InvariantError) {
    context.onFatal(error);
    return toServiceError(new KvError('INTERNAL', 'Internal error: the server is stopping'));
  }
  context.logger.error({ method, err: error }, 'rpc failed unexpectedly');
  return { code: status.INTERNAL, details: 'Internal error while serving the request' };
}

/** Settles with `promise`, or rejects with `onTimeout()` once `ms` pass (after calling `cancel`). */
export function withDeadline<T>(promise: Promise<T>, ms: number, cancel: () => void, onTimeout: () => KvError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cancel();
      reject(onTimeout());
    }, ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Unwraps a decode, throwing its KvError (caught by `unary`). */
export function decoded<T>(parse: () => T): T {
  const result = req.decode(parse);
  if (!result.ok) throw result.error;
  return result.value;
}
