// Small typed wrappers over KvStub for the integration tests (the wire decoding is shared with the
// Jepsen-style runs in test/support/kv-wire.ts), plus a leader-following call for writes that are
// safe to retry (NOT_LEADER means "never proposed").
import { KvError } from '../../src/shared/errors.js';
import type { KvMethod, KvStub, Message } from '../../src/client/kv-stub.js';
import type { Cluster } from './cluster.js';
import { bytes, get as getValue, scan as scanPrefix, type Consistency, type StoredValue } from '../support/kv-wire.js';

export {
  bytes, field, LINEARIZABLE, nodeStatus, num, revisionOf, SERIALIZABLE, text, type Consistency, type NodeStatus, type StoredValue,
} from '../support/kv-wire.js';

/** A KvError rebuilt by the stub, which also carries the raw gRPC status code. */
export type CallError = KvError & { readonly grpcCode?: number };

const deadlineMsDefault = 5_000;

/** The stored value of `key`, or null when it is absent. */
export function get(stub: KvStub, key: string, consistency: Consistency, deadlineMs = deadlineMsDefault): Promise<StoredValue | null> {
  return getValue(stub, key, consistency, deadlineMs);
}

/** Every key under `prefix` with its value, following pages. */
export function scan(stub: KvStub, prefix: string, consistency: Consistency, deadlineMs = deadlineMsDefault): Promise<Map<string, string>> {
  return scanPrefix(stub, prefix, consistency, deadlineMs);
}

export interface SessionOptions {
  readonly sessionId?: string;
  readonly seq?: number;
}

export function putRequest(key: string, value: string, session: SessionOptions = {}): Message {
  return { key: bytes(key), value: bytes(value), ...session };
}

export function put(stub: KvStub, key: string, value: string, deadlineMs = deadlineMsDefault): Promise<Message> {
  return stub.call('Put', putRequest(key, value), { deadlineMs });
}

/** Resolves with the error a call fails with; fails the test if the call succeeds. */
export async function errorOf(call: Promise<unknown>): Promise<CallError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof KvError) return error;
    throw error;
  }
  throw new Error('Expected the call to fail, but it succeeded');
}

const attemptsMax = 30;

/**
 * Sends a write to the current leader, following NOT_LEADER hints and waiting out elections.
 * Only NOT_LEADER and NO_LEADER are retried: both mean the write was never proposed here.
 */
export async function onLeader(cluster: Cluster, method: KvMethod, request: Message, deadlineMs = deadlineMsDefault): Promise<Message> {
  let target: number | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    target ??= await cluster.waitForLeader();
    try {
      return await cluster.stub(target).call(method, request, { deadlineMs });
    } catch (error) {
      if (!(error instanceof KvError) || (error.code !== 'NOT_LEADER' && error.code !== 'NO_LEADER')) throw error;
      lastError = error;
      const hint = error.details.leaderId;
      target = hint !== undefined && hint !== target && cluster.liveIds().includes(hint) ? hint : undefined;
    }
  }
  throw new Error(`Cannot reach a leader after ${attemptsMax} attempts: ${String(lastError)}`);
}

/** Runs `task` over `items` with at most `limit` in flight; rejects on the first failure. */
export async function forEachLimit<T>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A read of `key` on node `id`, retried (bounded) while the cluster settles after a fault. */
export async function getSettled(cluster: Cluster, id: number, key: string, consistency: Consistency): Promise<StoredValue | null> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attemptsMax; attempt++) {
    try {
      return await get(cluster.stub(id), key, consistency, 2_000);
    } catch (error) {
      if (!(error instanceof KvError) || !['NOT_LEADER', 'NO_LEADER', 'TIMEOUT'].includes(error.code)) throw error;
      lastError = error;
      await cluster.waitForLeader();
    }
  }
  throw new Error(`Cannot read "${key}" on node ${id} after ${attemptsMax} attempts: ${String(lastError)}`);
}
