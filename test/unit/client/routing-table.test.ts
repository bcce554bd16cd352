// Goal: the SDK places keys exactly where the server does. Method: RoutingTable over the founders'
// map (built by src/shard, as the server builds it) against the server-side groupForKey, for
// random keys and for hash tags; replica addresses and the checks on a malformed map.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { RoutingTable } from '../../../src/client/routing-table.js';
import { nodeId } from '../../../src/shared/ids.js';
import type { KeyHasher } from '../../../src/shard/hash-ring.js';
import { loadKeyHasher } from '../../../src/shard/hasher.js';
import { groupForKey, initialShardMap } from '../../../src/shard/shard-map.js';
import { addressOf, bytes, shardMapInfo } from './shard-fixtures.js';

let hasher: KeyHasher;
beforeAll(async () => {
  hasher = await loadKeyHasher();
});

describe('RoutingTable', () => {
  it('groupOf() agrees with the server for any key', () => {
    const table = RoutingTable.of(shardMapInfo(3, 16, 3), hasher);
    const server = initialShardMap([1, 2, 3].map(nodeId), 16, 3);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (key) => table.groupOf(key) === groupForKey(server, hasher, key)), { numRuns: 500 });
  });

  it('groupOf() puts keys with a common {hash tag} in one group', () => {
    const table = RoutingTable.of(shardMapInfo(3, 64, 3), hasher);
    for (const tag of ['42', 'user-7', 'x']) {
      const groups = new Set(['name', 'email', 'cart'].map((field) => table.groupOf(bytes(`user:{${tag}}:${field}`))));
      expect(groups.size).toBe(1);
      expect(table.groupOf(bytes(`other{${tag}}`))).toBe([...groups][0]);
    }
  });

  it('replicaAddresses() lists the group\'s nodes, preferred leader first', () => {
    const table = RoutingTable.of(shardMapInfo(3, 4, 2), hasher);
    expect([1, 2, 3, 4].map((g) => table.replicaAddresses(g))).toEqual([[addressOf(1), addressOf(2)], [addressOf(2), addressOf(3)], [addressOf(3), addressOf(1)], [addressOf(1), addressOf(2)]]);
    expect(table.replicaAddresses(99)).toEqual([]);
    expect(table.dataGroups()).toEqual([1, 2, 3, 4]);
  });

  it('an unsharded map (epoch 0) puts every key in group 0 and names no replicas', () => {
    const table = RoutingTable.of({ epoch: 0, ranges: [], groups: [], nodes: [] }, null);
    expect([table.isSharded, table.groupOf(bytes('a')), table.dataGroups(), table.replicaAddresses(0)]).toEqual([false, 0, [0], []]);
  });

  it.each([
    ['a gap between ranges', (info: ReturnType<typeof shardMapInfo>) => ({ ...info, ranges: info.ranges.slice(1) }), /not contiguous/],
    ['a range of an unplaced group', (info: ReturnType<typeof shardMapInfo>) => ({ ...info, groups: info.groups.slice(1) }), /has no replicas/],
  ])('of() refuses a map with %s as INTERNAL', (_name, corrupt, message) => {
    expect(() => RoutingTable.of(corrupt(shardMapInfo(3, 4, 3)), hasher)).toThrow(expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(message) }));
  });
});
