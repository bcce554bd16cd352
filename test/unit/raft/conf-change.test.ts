import { describe, expect, it } from 'vitest';
import { applyConfChange, checkConfChange, decodeConfChange, encodeConfChange } from '../../../src/raft/conf-change.js';
import type { ConfChange, ConfState } from '../../../src/raft/types.js';
import { nodeId } from '../../../src/shared/ids.js';

const conf = (voters: number[], learners: number[] = []): ConfState => ({ voters: voters.map(nodeId), learners: learners.map(nodeId) });
const change = (type: ConfChange['type'], node: number): ConfChange => ({ type, node: nodeId(node) });

describe('conf changes', () => {
  it.each([
    { before: conf([1, 2, 3]), change: change('addLearner', 4), after: conf([1, 2, 3], [4]) },
    { before: conf([1, 2, 3], [4]), change: change('addVoter', 4), after: conf([1, 2, 3, 4]) },
    { before: conf([1, 2, 3]), change: change('removeNode', 2), after: conf([1, 3]) },
    { before: conf([1, 2, 3]), change: change('addLearner', 3), after: conf([1, 2], [3]) },
  ])('applyConfChange() $change.type $change.node', ({ before, change: c, after }) => {
    expect(applyConfChange(before, c)).toEqual(after);
  });

  it.each([
    { before: conf([1, 2]), change: change('addVoter', 2), problem: /already a voter/ },
    { before: conf([1], [2]), change: change('addLearner', 2), problem: /already a learner/ },
    { before: conf([1, 2]), change: change('removeNode', 5), problem: /not a member/ },
    { before: conf([1]), change: change('removeNode', 1), problem: /last voter/ },
  ])('checkConfChange() refuses $change.type $change.node', ({ before, change: c, problem }) => {
    expect(checkConfChange(before, c)).toMatch(problem);
  });

  it('encodeConfChange() round-trips through decodeConfChange()', () => {
    for (const type of ['addVoter', 'addLearner', 'removeNode'] as const) {
      const c = change(type, 2 ** 40 + 7);
      expect(decodeConfChange(encodeConfChange(c))).toEqual(c);
    }
  });

  it('decodeConfChange() rejects fewer than 9 bytes', () => {
    expect(() => decodeConfChange(new Uint8Array(3))).toThrow(/at least 9 bytes/);
  });
});

describe('member addresses', () => {
  it('applyConfChange() records the address of an added node and keeps it on promotion', () => {
    const added = applyConfChange(conf([1, 2, 3]), { type: 'addLearner', node: nodeId(4), address: '10.0.0.4:7001' });
    expect(added.addresses).toEqual({ '4': '10.0.0.4:7001' });
    const promoted = applyConfChange(added, change('addVoter', 4));
    expect(promoted).toEqual({ voters: [1, 2, 3, 4], learners: [], addresses: { '4': '10.0.0.4:7001' } });
  });

  it('applyConfChange() forgets the address of a removed node', () => {
    const before = { ...conf([1, 2, 3]), addresses: { '2': 'a:1', '3': 'b:2' } };
    expect(applyConfChange(before, change('removeNode', 3))).toEqual({ voters: [1, 2], learners: [], addresses: { '2': 'a:1' } });
  });

  it('encodeConfChange() round-trips an address', () => {
    const c: ConfChange = { type: 'addLearner', node: nodeId(9), address: 'node9.example:7001' };
    expect(decodeConfChange(encodeConfChange(c))).toEqual(c);
  });
});
