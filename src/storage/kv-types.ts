/**
 * The KV data model, modeled on etcd v3. Every key carries `version` (writes since it was created;
 * a delete removes the key, so the next put starts again at 1), `createRevision` and `modRevision`.
 * A group has one `revision` counter that grows by one for each applied command that changed at
 * least one key (as etcd: a delete of a missing key or a read-only txn does not move it).
 */
import type { KvErrorCode } from '../shared/errors.js';
import type { LogIndex } from '../shared/ids.js';
import type { ConfState } from '../raft/types.js';

export interface KeyValue {
  readonly key: Uint8Array;
  /** Empty when the read asked for keys only. */
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

/**
 * Keys in [start, end) in byte order; without `end`, every key from `start` on (an empty `start`
 * is the first key). Or every key starting with `prefix` (an empty prefix is every key).
 */
export type KeyRange = { readonly start: Uint8Array; readonly end?: Uint8Array } | { readonly prefix: Uint8Array };

export interface RangeOptions {
  /** At most this many keys (1..rangeLimitMax); absent means rangeLimitMax. */
  readonly limit?: number;
  readonly keysOnly?: boolean;
  /** Only `count`; `kvs` is empty. */
  readonly countOnly?: boolean;
  /** Continuation: only keys after this one (the last key of the previous page). */
  readonly after?: Uint8Array;
}

export type RangeQuery = KeyRange & RangeOptions;

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** More keys in the range (and after `after`) than were returned. */
  readonly more: boolean;
  /** Keys in the whole range, ignoring `limit` and `after` (etcd's count). */
  readonly count: number;
  readonly revision: number;
}

export interface GetResult {
  readonly kv: KeyValue | null;
  readonly revision: number;
}

/** Result of one operation inside a txn. */
export type OpResult =
  | { readonly type: 'put'; readonly prevKv: KeyValue | null }
  | { readonly type: 'delete'; readonly deleted: boolean; readonly prevKv: KeyValue | null }
  | { readonly type: 'get'; readonly kv: KeyValue | null }
  | { readonly type: 'range'; readonly kvs: readonly KeyValue[]; readonly more: boolean; readonly count: number };

/** What applying one log entry produced; `revision` is the group's revision after it. */
export type CommandResult =
  | { readonly type: 'put'; readonly revision: number; readonly prevKv: KeyValue | null }
  | { readonly type: 'delete'; readonly revision: number; readonly deleted: boolean; readonly prevKv: KeyValue | null }
  | { readonly type: 'deleteRange'; readonly revision: number; readonly deleted: number }
  | { readonly type: 'batchPut'; readonly revision: number }
  | { readonly type: 'txn'; readonly revision: number; readonly succeeded: boolean; readonly results: readonly OpResult[] }
  | { readonly type: 'error'; readonly code: KvErrorCode; readonly message: string; readonly field: string | null }
  /** An empty normal entry (a new leader's no-op). */
  | { readonly type: 'noop'; readonly revision: number }
  /** A split entry (split-apply.ts): `born` when the child's state was written on this node. */
  | { readonly type: 'split'; readonly revision: number; readonly child: number; readonly born: boolean }
  | { readonly type: 'confChange'; readonly conf: ConfState };

export interface AppliedEntry {
  readonly index: LogIndex;
  readonly result: CommandResult;
  /** True when (session, seq) was applied before and `result` is the stored one (thesis §6.3). */
  readonly duplicate: boolean;
}
