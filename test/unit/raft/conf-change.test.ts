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

  it('decodeConfChange() rejects bytes of the wrong length', () => {
    expect(() => decodeConfChange(new Uint8Array(3))).toThrow(/9 bytes/);
  });
});
