// Goal: `kvctl shard list` formatting (ring ranges in hex, shares) and the merge of several nodes'
// shard maps into one with each group's newest leader (src/client/cluster-types.ts).
import { describe, expect, it } from 'vitest';
import { mergeShardMaps, type ShardMapInfo } from '../../../src/client/cluster-types.js';
import { membersText, ringHex, shardRows, shardTableRow } from '../../../src/cli/commands/shard.js';
import { shardMapInfo } from './shard-fixtures.js';

describe('kvctl shard list', () => {
  it('shows each group\'s range as inclusive 12-digit hex with its share of the ring', () => {
    const rows = shardRows(shardMapInfo(3, 4, 3, new Map([[1, 2]]))).map(shardTableRow);
    expect(rows).toEqual([
      ['1', '000000000000-3fffffffffff', '25.00%', '1,2,3', '-', '2', '3'],
      ['2', '400000000000-7fffffffffff', '25.00%', '2,3,1', '-', '-', '0'],
      ['3', '800000000000-bfffffffffff', '25.00%', '3,1,2', '-', '-', '0'],
      ['4', 'c00000000000-ffffffffffff', '25.00%', '1,2,3', '-', '-', '0'],
    ]);
  });

  it('shows the applied membership: = when it is the target, else voters then learners marked L', () => {
    const row = { group: 5, ranges: [], share: 0, replicas: [1, 2, 4], leaderId: 1, term: 2 };
    expect(membersText({ ...row, voters: [1, 2, 3], learners: [4] })).toBe('1,2,3,L4');
    expect(membersText({ ...row, voters: [1, 2, 4, 3], learners: [] })).toBe('1,2,4,3');
    expect(membersText({ ...row, voters: [4, 1, 2], learners: [] })).toBe('=');
    expect(membersText({ ...row, voters: [], learners: [] })).toBe('-');
  });

  it('shows shares of uneven ranges that add up to the whole ring', () => {
    const rows = shardRows(shardMapInfo(3, 3, 2));
    expect(rows.map((r) => shardTableRow(r)[2])).toEqual(['33.33%', '33.33%', '33.33%']);
    expect(rows.reduce((sum, r) => sum + r.share, 0)).toBeCloseTo(1, 12);
  });

  it('shows an unsharded cluster as group 0 over the whole ring', () => {
    const map: ShardMapInfo = { epoch: 0, ranges: [], groups: [{ group: 0, replicas: [1, 2, 3], leaderId: 3, term: 9, voters: [3, 2, 1] }], nodes: [] };
    expect(shardRows(map).map(shardTableRow)).toEqual([['0', '000000000000-ffffffffffff', '100.00%', '1,2,3', '=', '3', '9']]);
    expect(ringHex(2 ** 48 - 1)).toBe('ffffffffffff');
  });
});

describe('mergeShardMaps()', () => {
  it('keeps, for each group, the answer of the highest term (a leader-less one included)', () => {
    const a = shardMapInfo(3, 3, 3, new Map([[1, 1], [2, 2]]));
    const b = { ...a, groups: a.groups.map((g) => (g.group === 2 ? { ...g, leaderId: 0, term: 4 } : g.group === 3 ? { ...g, leaderId: 3, term: 2 } : { ...g, leaderId: 0, term: 0 })) };
    expect(mergeShardMaps([a, b]).groups.map((g) => [g.group, g.leaderId, g.term])).toEqual([[1, 1, 3], [2, 0, 4], [3, 3, 2]]);
  });

  it('takes ranges, groups and nodes from the newest epoch only', () => {
    const old = { ...shardMapInfo(3, 2, 3, new Map([[1, 1]])), epoch: 1 };
    const newer = { ...shardMapInfo(3, 4, 3), epoch: 2 };
    const merged = mergeShardMaps([old, newer]);
    expect([merged.epoch, merged.groups.length, merged.groups[0]?.leaderId]).toEqual([2, 4, 0]);
  });
});
