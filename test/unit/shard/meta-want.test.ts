/**
 * Goal: metaWant() (src/server/replica-mover.ts) picks the meta group's wanted membership: the
 * current voters that are still active, topped up to three voters (or more, if it already has
 * more) from caught-up learners first and then the lowest active ids, never a decommissioning
 * node; every other node of the map is wanted as a learner so it reads the map locally.
 * Method: table tests over small maps; the membership passed in stands for the meta group's conf.
 */
import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import type { ConfState } from '../../../src/raft/types.js';
import { metaWant } from '../../../src/server/replica-mover.js';
import { initialShardMap, type NodeState, type ShardMap } from '../../../src/shard/shard-map.js';

const ids = (...list: number[]): NodeId[] => list.map(nodeId);

/** A map whose node list is `states` (node i+1 has states[i]). */
function mapWith(states: readonly NodeState[]): ShardMap {
  const base = initialShardMap(ids(1, 2, 3), 4, 3);
  return { ...base, nodes: new Map(states.map((state, i) => [nodeId(i + 1), { address: `h${i + 1}:7000`, state }])) };
}

const conf = (voters: number[], learners: number[] = []): ConfState => ({ voters: ids(...voters), learners: ids(...learners) });
const A = 'active' as const;
const D = 'decommissioning' as const;

describe('metaWant()', () => {
  it('returns null for a map without nodes', () => {
    expect(metaWant(initialShardMap(ids(1, 2, 3), 4, 3), conf([1, 2, 3]))).toBeNull();
  });

  it.each<[string, NodeState[], ConfState, number[], number[]]>([
    ['keeps three active voters; every other node learns', [A, A, A, A, A], conf([1, 2, 3], [4]), [1, 2, 3], [4, 5]],
    ['keeps the voters it has, whatever their ids', [A, A, A, A, A], conf([2, 4, 5]), [2, 4, 5], [1, 3]],
    ['tops a single founder up to three voters, lowest ids first', [A, A, A, A], conf([1]), [1, 2, 3], [4]],
    ['replaces a decommissioning voter with an active learner before any other node', [A, D, A, A, A], conf([1, 2, 3], [5]), [1, 3, 5], [2, 4]],
    ['replaces a decommissioning voter with the lowest active id when no learner is active', [A, D, A, A, A], conf([1, 2, 3]), [1, 3, 4], [2, 5]],
    ['never picks a decommissioning learner as a voter', [A, A, D, D, A], conf([1, 2], [3, 4]), [1, 2, 5], [3, 4]],
    ['keeps five voters when it has five active ones', [A, A, A, A, A, A], conf([1, 2, 3, 4, 5]), [1, 2, 3, 4, 5], [6]],
    ['shrinks to the active nodes when fewer than three are active', [A, A, D], conf([1, 2, 3]), [1, 2], [3]],
    ['drops a voter that is gone from the node list, and does not keep it as a learner', [A, A, A, A], conf([1, 2, 9]), [1, 2, 3], [4]],
  ])('%s', (_name, states, current, voters, learners) => {
    const want = metaWant(mapWith(states), current);
    expect(want?.wantVoters).toEqual(ids(...voters));
    expect([...(want?.wantLearners ?? [])].sort((a, b) => a - b)).toEqual(ids(...learners));
  });

  it('wants every node of the map as a member, exactly once', () => {
    const states: NodeState[] = [A, D, A, A, D, A, A];
    const want = metaWant(mapWith(states), conf([2, 5, 7], [1]));
    const members = [...(want?.wantVoters ?? []), ...(want?.wantLearners ?? [])].sort((a, b) => a - b);
    expect(members).toEqual(ids(1, 2, 3, 4, 5, 6, 7));
    for (const voter of want?.wantVoters ?? []) expect(states[voter - 1]).toBe('active');
  });
});
