/**
 * Multi-key requests on a sharded cluster, before they are sent: a transaction (and so a
 * compare-and-swap) runs in one Raft group, so all its keys must be in one group, or the client
 * refuses it naming the groups, as the server would; a batch is split into one part per group.
 * Pure: the caller passes the key-to-group function (RoutingTable.groupOf).
 */
import { KvClientError } from './errors.js';
import { describeKey } from './write-results.js';

/** The items of one group, in the caller's order. */
export interface GroupPart<T> {
  readonly group: number;
  readonly items: readonly T[];
}

/**
 * Splits `items` by group: parts in ascending group order, items in their original order.
 *
 * @example
 * ```ts
 * splitByGroup([{ key: a }, { key: b }], (item) => table.groupOf(item.key)); // [{ group: 3, items: [...] }, ...]
 * ```
 */
export function splitByGroup<T>(items: readonly T[], groupOf: (item: T) => number): GroupPart<T>[] {
  const parts = new Map<number, T[]>();
  for (const item of items) {
    const group = groupOf(item);
    const part = parts.get(group);
    if (part === undefined) parts.set(group, [item]);
    else part.push(item);
  }
  return [...parts].sort(([a], [b]) => a - b).map(([group, part]) => ({ group, items: part }));
}

/** Groups listed in a refusal message, at most; the rest are counted. */
const GROUPS_NAMED_MAX = 4;

/**
 * The one group every key is in (the group of the empty key when there are none), or an
 * INVALID_ARGUMENT error naming the groups with an example key of each.
 *
 * @example
 * ```ts
 * singleGroupOf([enc('user:{42}:a'), enc('user:{42}:b')], (k) => table.groupOf(k), 'the transaction'); // one group
 * ```
 */
export function singleGroupOf(keys: readonly Uint8Array[], groupOf: (key: Uint8Array) => number, what: string): number {
  const examples = new Map<number, Uint8Array>();
  for (const key of keys) {
    const group = groupOf(key);
    if (!examples.has(group)) examples.set(group, key);
  }
  const [first, ...others] = examples.keys();
  if (first === undefined) return groupOf(new Uint8Array(0));
  if (others.length === 0) return first;
  const sorted = [...examples].sort(([a], [b]) => a - b);
  const named = sorted.slice(0, GROUPS_NAMED_MAX).map(([group, key]) => `group ${group} (e.g. key ${describeKey(key)})`);
  const rest = sorted.length > GROUPS_NAMED_MAX ? ` and ${sorted.length - GROUPS_NAMED_MAX} more` : '';
  return refuse(`Cannot run ${what} across groups: its keys belong to ${named.join(', ')}${rest}; give related keys a common {hash tag}, like "user:{42}:name" and "user:{42}:email"`);
}

function refuse(message: string): never {
  throw new KvClientError('INVALID_ARGUMENT', message, { details: { field: 'key' } });
}
