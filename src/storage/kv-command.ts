/**
 * KV commands, the payload of 'normal' log entries, and their validation. The byte encoding is in
 * kv-command-codec.ts. Validation runs on the leader before proposing and again on every replica
 * when decoding, so a bad command becomes the same error result everywhere instead of a crash.
 */
import { KvError } from '../shared/errors.js';
import type { KeyRange, RangeQuery } from './kv-types.js';
import { storageLimits } from './storage-limits.js';

/** Exactly-once identity (Raft thesis §6.3): a client's session and its command sequence number. */
export interface SessionRef {
  readonly id: string;
  /** Starts at 1 for a new session and grows with each command. */
  readonly seq: number;
}

export type CompareOp = '=' | '!=' | '<' | '>';
export type NumberTarget = 'version' | 'createRevision' | 'modRevision';

/** On a missing key the numeric targets read 0 and every value compare is false (as etcd). */
export type Compare =
  | { readonly key: Uint8Array; readonly target: 'value'; readonly op: CompareOp; readonly value: Uint8Array }
  | { readonly key: Uint8Array; readonly target: NumberTarget; readonly op: CompareOp; readonly number: number };

export interface PutOp {
  readonly type: 'put';
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Return the key's previous value in the result. */
  readonly prevKv?: boolean;
}

export interface DeleteOp {
  readonly type: 'delete';
  readonly key: Uint8Array;
  readonly prevKv?: boolean;
}

export type TxnOp = PutOp | DeleteOp | { readonly type: 'get'; readonly key: Uint8Array } | { readonly type: 'range'; readonly query: RangeQuery };

export type KvCommandBody =
  | PutOp
  | DeleteOp
  | { readonly type: 'deleteRange'; readonly range: KeyRange }
  | { readonly type: 'batchPut'; readonly items: readonly { readonly key: Uint8Array; readonly value: Uint8Array }[] }
  | { readonly type: 'txn'; readonly compares: readonly Compare[]; readonly success: readonly TxnOp[]; readonly failure: readonly TxnOp[] }
  | SplitCommand
  | HashCheckCommand;

/**
 * Asks every replica to hash its applied state at this entry's index (state-hash.ts), so replicas
 * compare hashes of the same log position. Changes nothing. Proposed by the group's leader every
 * check interval (src/server/consistency-checker.ts), never by clients.
 */
export interface HashCheckCommand {
  readonly type: 'hashCheck';
}

/**
 * Cuts the group's ring range at `mid`: keys at or above it move to group `child`, born on every
 * replica as it applies this entry (kv-state-machine.ts). Proposed by the group's leader when the
 * shard map says so (src/server/replica-mover.ts), never by clients.
 */
export interface SplitCommand {
  readonly type: 'split';
  readonly child: number;
  readonly mid: number;
}

export type KvCommand = KvCommandBody & {
  /** The leader's wall clock when it proposed; session expiry uses only this (never a local clock). */
  readonly timeMs: number;
  readonly session?: SessionRef;
};

function invalid(field: string, message: string): KvError {
  return new KvError('INVALID_ARGUMENT', `Cannot accept command: ${message}`, { field });
}

/** Why `key` cannot be a key (empty, or over the size limit), or null. */
export function checkKey(key: Uint8Array, field: string): KvError | null {
  if (key.byteLength === 0) return invalid(field, `${field} is empty`);
  if (key.byteLength > storageLimits.keyBytesMax) {
    return invalid(field, `${field} has ${key.byteLength} bytes, more than ${storageLimits.keyBytesMax}`);
  }
  return null;
}

function checkValue(value: Uint8Array): KvError | null {
  if (value.byteLength <= storageLimits.valueBytesMax) return null;
  return invalid('value', `value has ${value.byteLength} bytes, more than ${storageLimits.valueBytesMax}`);
}

function checkCount(count: number, max: number, field: string): KvError | null {
  return count <= max ? null : invalid(field, `${field} has ${count} items, more than ${max}`);
}

function checkBound(bytes: Uint8Array, field: string): KvError | null {
  if (bytes.byteLength <= storageLimits.keyBytesMax) return null;
  return invalid(field, `${field} has ${bytes.byteLength} bytes, more than ${storageLimits.keyBytesMax}`);
}

export function validateKeyRange(range: KeyRange): KvError | null {
  if ('prefix' in range) return checkBound(range.prefix, 'prefix');
  if (range.end === undefined) return checkBound(range.start, 'start');
  if (Buffer.compare(range.start, range.end) >= 0) return invalid('end', 'end is not after start');
  return checkBound(range.start, 'start') ?? checkBound(range.end, 'end');
}

/** Also used by the server for reads that do not go through the log. */
export function validateRangeQuery(query: RangeQuery): KvError | null {
  const limit = query.limit;
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1 && limit <= storageLimits.rangeLimitMax)) {
    return invalid('limit', `limit "${limit}" is not in 1..${storageLimits.rangeLimitMax}`);
  }
  return validateKeyRange(query) ?? (query.after === undefined ? null : checkBound(query.after, 'after'));
}

function validateCompare(compare: Compare): KvError | null {
  const keyError = checkKey(compare.key, 'key');
  if (keyError !== null) return keyError;
  if (compare.target === 'value') return checkValue(compare.value);
  const n = compare.number;
  return Number.isSafeInteger(n) && n >= 0 ? null : invalid('compare', `compare number "${n}" is not a safe integer`);
}

function validateOp(op: TxnOp | KvCommandBody): KvError | null {
  switch (op.type) {
    case 'put':
      return checkKey(op.key, 'key') ?? checkValue(op.value);
    case 'delete':
    case 'get':
      return checkKey(op.key, 'key');
    case 'range':
      return validateRangeQuery(op.query);
    case 'deleteRange':
      return validateKeyRange(op.range);
    case 'batchPut':
      if (op.items.length === 0) return invalid('items', 'batchPut has no items');
      return (
        checkCount(op.items.length, storageLimits.batchPutItemsMax, 'items') ??
        firstError(op.items, (item) => checkKey(item.key, 'key') ?? checkValue(item.value)) ??
        checkDistinctKeys(op.items, 'items')
      );
    case 'txn':
      return validateTxn(op.compares, op.success, op.failure);
    case 'hashCheck':
      return null;
    case 'split':
      return Number.isSafeInteger(op.child) && op.child > 0 && Number.isSafeInteger(op.mid) && op.mid > 0 ? null : invalid('split', 'split names no valid child group or ring position');
  }
}

function validateTxn(compares: readonly Compare[], success: readonly TxnOp[], failure: readonly TxnOp[]): KvError | null {
  return (
    checkCount(compares.length, storageLimits.txnComparesMax, 'compares') ??
    checkCount(success.length, storageLimits.txnOpsMax, 'success') ??
    checkCount(failure.length, storageLimits.txnOpsMax, 'failure') ??
    firstError(compares, validateCompare) ??
    firstError(success, validateOp) ??
    firstError(failure, validateOp) ??
    checkDistinctKeys(success.filter(isWrite), 'success') ??
    checkDistinctKeys(failure.filter(isWrite), 'failure')
  );
}

function isWrite(op: TxnOp): op is PutOp | DeleteOp {
  return op.type === 'put' || op.type === 'delete';
}

/** As etcd, one command writes a key at most once: every write of it carries the same revision. */
function checkDistinctKeys(writes: readonly { readonly key: Uint8Array }[], field: string): KvError | null {
  const seen = new Set<string>();
  for (const { key } of writes) {
    const text = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
    if (seen.has(text)) return invalid(field, `${field} writes the same key twice`);
    seen.add(text);
  }
  return null;
}

function firstError<T>(items: readonly T[], check: (item: T) => KvError | null): KvError | null {
  for (const item of items) {
    const error = check(item);
    if (error !== null) return error;
  }
  return null;
}

export function validateKvCommand(command: KvCommand): KvError | null {
  if (!Number.isSafeInteger(command.timeMs) || command.timeMs < 0) return invalid('timeMs', 'timeMs is not a safe integer');
  const session = command.session;
  if (session !== undefined) {
    const idBytes = Buffer.byteLength(session.id, 'utf8'); // TextEncoder's length, without encoding
    if (idBytes === 0 || idBytes > storageLimits.sessionIdBytesMax) {
      return invalid('session', `session id has ${idBytes} bytes, not in 1..${storageLimits.sessionIdBytesMax}`);
    }
    if (!Number.isSafeInteger(session.seq) || session.seq < 1) return invalid('seq', `seq "${session.seq}" is not >= 1`);
  }
  return validateOp(command);
}
