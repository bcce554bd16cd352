// Goal: the SDK's checks and splits of multi-key requests before sending (src/client/group-split.ts).
import { describe, expect, it } from 'vitest';
import { singleGroupOf, splitByGroup } from '../../../src/client/group-split.js';
import { KvClientError } from '../../../src/client/errors.js';
import { bytes } from './shard-fixtures.js';

/** A stand-in ring: the group is the key's first character code modulo 5. */
const groupOf = (key: Uint8Array): number => (key[0] ?? 0) % 5;

describe('splitByGroup()', () => {
  it('makes one part per group, in ascending group order, keeping the items\' order', () => {
    const items = ['f', 'a', 'k', 'b', 'p', 'c'].map((k) => ({ key: bytes(k) }));
    const parts = splitByGroup(items, (item) => groupOf(item.key));
    expect(parts.map((p) => [p.group, p.items.map((i) => new TextDecoder().decode(i.key)).join('')])).toEqual([[2, 'fakp'], [3, 'b'], [4, 'c']]);
    expect(parts.flatMap((p) => p.items)).toHaveLength(items.length);
  });

  it('gives one part for items of one group and none for no items', () => {
    expect(splitByGroup([1, 2, 3], () => 7)).toEqual([{ group: 7, items: [1, 2, 3] }]);
    expect(splitByGroup([], () => 7)).toEqual([]);
  });
});

describe('singleGroupOf()', () => {
  it('returns the one group of keys that share it, or of the empty key when there are none', () => {
    expect(singleGroupOf([bytes('a'), bytes('f'), bytes('k')], groupOf, 'the transaction')).toBe(2);
    expect(singleGroupOf([], () => 9, 'the transaction')).toBe(9);
  });

  it('refuses keys of several groups with INVALID_ARGUMENT naming each group and an example key', () => {
    let thrown: unknown;
    try {
      singleGroupOf([bytes('a'), bytes('f'), bytes('b')], groupOf, 'the transaction');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KvClientError);
    expect(thrown).toMatchObject({
      code: 'INVALID_ARGUMENT', details: { field: 'key' }, grpcCode: undefined,
      message: 'Cannot run the transaction across groups: its keys belong to group 2 (e.g. key "a"), group 3 (e.g. key "b"); give related keys a common {hash tag}, like "user:{42}:name" and "user:{42}:email"',
    });
  });

  it('names at most four groups and counts the rest', () => {
    expect(() => singleGroupOf(['a', 'b', 'c', 'd', 'e', 'f'].map(bytes), (k) => k[0] ?? 0, 'the transaction')).toThrow(/group 100 \(e\.g\. key "d"\) and 2 more;/);
  });
});
