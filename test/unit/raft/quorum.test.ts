import { describe, expect, it } from 'vitest';
import { majority, quorumMin, tallyVotes } from '../../../src/raft/quorum.js';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';

const ids = (...n: number[]): NodeId[] => n.map(nodeId);

describe('quorum', () => {
  it.each([
    [1, 1], [2, 2], [3, 2], [4, 3], [5, 3], [7, 4],
  ])('majority(%i) is %i', (voters, expected) => {
    expect(majority(voters)).toBe(expected);
  });

  it.each([
    { voters: [1, 2, 3], match: { 1: 5, 2: 3, 3: 1 }, expected: 3 },
    { voters: [1, 2, 3], match: { 1: 5, 2: 5, 3: 1 }, expected: 5 },
    { voters: [1, 2, 3, 4], match: { 1: 9, 2: 7, 3: 2, 4: 1 }, expected: 2 },
    { voters: [1], match: { 1: 4 }, expected: 4 },
    { voters: [], match: {}, expected: 0 },
  ])('quorumMin() of $match over $voters is $expected', ({ voters, match, expected }) => {
    const m = match as Record<number, number>;
    expect(quorumMin(ids(...voters), (id) => m[id] ?? 0)).toBe(expected);
  });

  it('quorumMin() ignores values of non-voters such as learners', () => {
    expect(quorumMin(ids(1, 2, 3), (id) => (id === 4 ? 100 : 1))).toBe(1);
  });

  it.each([
    { votes: [[1, true], [2, true]], outcome: 'won' },
    { votes: [[1, true]], outcome: 'pending' },
    { votes: [[1, true], [2, false], [3, false]], outcome: 'lost' },
    { votes: [[1, true], [2, false]], outcome: 'pending' },
    { votes: [[1, true], [4, true]], outcome: 'pending' },
  ] as const)('tallyVotes() over 3 voters with $votes is $outcome', ({ votes, outcome }) => {
    const map = new Map(votes.map(([id, v]) => [nodeId(id), v]));
    expect(tallyVotes(ids(1, 2, 3), map)).toBe(outcome);
  });
});
