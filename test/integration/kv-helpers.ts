// Small typed wrappers over KvStub for the integration tests: text keys and values in, plain
// values out (proto-loader gives `unknown` objects with 64-bit fields as strings), plus a
// leader-following call for writes that are safe to retry (NOT_LEADER means "never proposed").
import { KvError } from '../../src/shared/errors.js';
import type { KvMethod, KvStub, Message } from '../../src/client/kv-stub.js';
import type { Cluster } from './cluster.js';

export type Consistency = 'READ_CONSISTENCY_LINEARIZABLE' | 'READ_CONSISTENCY_SERIALIZABLE';
export const LINEARIZABLE: Consistency = 'READ_CONSISTENCY_LINEARIZABLE';
export const SERIALIZABLE: Consistency = 'READ_CONSISTENCY_SERIALIZABLE';

export interface NodeStatus {
  readonly nodeId: number;
  readonly term: number;
  readonly leaderId: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly role: string;
}

export interface StoredValue {
  readonly value: string;
  readonly version: number;
  readonly modRevision: number;
}

/** A KvError rebuilt by the stub, which also carries the raw gRPC status code. */
export type CallError = KvError & { readonly grpcCode?: number };

const deadlineMsDefault = 5_000;

export function field(message: unknown, name: string): unknown {
  return typeof message === 'object' && message !== null ? (message as Record<string, unknown>)[name] : undefined;
}

export function num(message: unknown, name: string): number {
  const value = field(message, name);
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`Field ${name} is not an integer: ${String(value)}`);
  return n;
}

export function text(value: unknown): string {
  if (!(value instanceof Uint8Array)) throw new Error('Expected bytes');
  return Buffer.from(value).toString('utf8');
}

export const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

export function nodeStatus(m: Message): NodeStatus {
  const header = field(m, 'header');
  return {
    nodeId: num(header, 'nodeId'), term: num(header, 'raftTerm'), leaderId: num(m, 'leaderId'),
    commitIndex: num(m, 'commitIndex'), appliedIndex: num(m, 'appliedIndex'), role: String(field(m, 'role')),
  };
}

export function revisionOf(m: Message): number {
  return num(field(m, 'header'), 'revision');
}

function stored(kv: unknown): StoredValue {
  return { value: text(field(kv, 'value')), version: num(kv, 'version'), modRevision: num(kv, 'modRevision') };
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

/** The stored value of `key`, or null when it is absent. */
export async function get(stub: KvStub, key: string, consistency: Consistency, deadlineMs = deadlineMsDefault): Promise<StoredValue | null> {
  const response = await stub.call('Get', { key: bytes(key), consistency }, { deadlineMs });
  return field(response, 'found') === true ? stored(field(response, 'kv')) : null;
}

/** Every key under `prefix` with its value, following pages. */
export async function scan(stub: KvStub, prefix: string, consistency: Consistency, deadlineMs = deadlineMsDefault): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let pageToken: Buffer = Buffer.alloc(0);
  for (let page = 0; page < 1_000; page++) {
    const response = await stub.call('Range', { start: bytes(prefix), prefix: true, consistency, pageToken }, { deadlineMs });
    const kvs = field(response, 'kvs');
    for (const kv of Array.isArray(kvs) ? kvs : []) out.set(text(field(kv, 'key')), text(field(kv, 'value')));
    if (field(response, 'more') !== true) return out;
    const next = field(response, 'nextPageToken');
    pageToken = next instanceof Uint8Array ? Buffer.from(next) : Buffer.alloc(0);
  }
  throw new Error(`Range over prefix "${prefix}" did not end within 1000 pages`);
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
