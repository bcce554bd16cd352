// Goal: the runner reads the shard map as a client must: the newest epoch's ranges and replicas,
// the highest-term leader claim per group, and move candidates only where a node lacks a replica.
// Method: hand-made ShardMap answers, decoded and merged without a server.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { RING_SIZE } from '../../../src/shard/hash-ring.js';
import { moveCandidates } from './shard-faults.js';
import { dataGroups, mergeAnswers } from './shard-map.js';

const half = RING_SIZE / 2;
const answer = (epoch: number, leaders: Record<number, [number, number]>, replicas: Record<number, number[]> = { 1: [1, 2], 2: [2, 3] }) => ({
  epoch,
  ranges: [{ start: 0, end: half, group: 1 }, { start: half, end: RING_SIZE, group: 2 }],
  groups: Object.entries(replicas).map(([group, ids]) => ({
    group: Number(group), replicas: ids.map(nodeId), leader: leaders[Number(group)]?.[0] ?? 0, term: leaders[Number(group)]?.[1] ?? 0,
  })),
});

describe('mergeAnswers()', () => {
  it('takes the newest epoch for replicas and the highest term for each leader', () => {
    const view = mergeAnswers([answer(2, { 1: [1, 5] }, { 1: [1, 3], 2: [2, 3] }), answer(1, { 1: [2, 7], 2: [3, 2] })]);
    expect(view.epoch).toBe(2);
    expect(view.replicas.get(1)).toEqual([1, 3]);
    expect(view.leaders.get(1)).toEqual({ node: 2, term: 7 });
    expect(view.leaders.get(2)).toEqual({ node: 3, term: 2 });
    expect(dataGroups(view)).toEqual([1, 2]);
  });

  it('refuses an unsharded answer and a map whose ranges do not cover the ring', () => {
    expect(() => mergeAnswers([{ epoch: 0, ranges: [], groups: [] }])).toThrow(/not sharded/);
    expect(() => mergeAnswers([{ ...answer(1, {}), ranges: [{ start: 0, end: half, group: 1 }] }])).toThrow(/does not cover/);
  });
});

describe('moveCandidates()', () => {
  it('pairs every replica with every node that lacks the group, in a stable order', () => {
    const view = mergeAnswers([answer(1, {})]);
    const nodes = [1, 2, 3].map(nodeId);
    expect(moveCandidates(view, nodes)).toEqual([
      { group: 1, from: 1, to: 3 }, { group: 1, from: 2, to: 3 },
      { group: 2, from: 2, to: 1 }, { group: 2, from: 3, to: 1 },
    ]);
    expect(moveCandidates(mergeAnswers([answer(1, {}, { 1: [1, 2, 3], 2: [1, 2, 3] })]), nodes)).toEqual([]);
  });
});
