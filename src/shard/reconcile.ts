/**
 * The next membership step a group's leader takes toward the replica set the shard map wants.
 * One change at a time (src/raft/conf-change.ts), in an order that never lowers the number of
 * up-to-date voters below the target's:
 *   1. promote a wanted learner once it has caught up (match >= the leader's commit);
 *   2. add a wanted node that is not a member, as a learner (it catches up by snapshot);
 *   3. once every wanted voter votes, remove an unwanted voter; when that voter is this leader,
 *      hand leadership to a caught-up wanted voter first;
 *   4. remove unwanted learners.
 * Pure, so the simulator and the unit tests drive the same rules as the server.
 */
import type { NodeId } from '../shared/ids.js';
import type { ConfChange, ConfState } from '../raft/types.js';

export interface ReconcileInput {
  readonly self: NodeId;
  readonly conf: ConfState;
  readonly wantVoters: readonly NodeId[];
  readonly wantLearners: readonly NodeId[];
  /** Replication progress of each member as the leader sees it. */
  readonly matchOf: (node: NodeId) => number;
  readonly commit: number;
  readonly addressOf: (node: NodeId) => string | undefined;
}

export type ReconcileStep =
  | { readonly kind: 'change'; readonly change: ConfChange }
  | { readonly kind: 'transfer'; readonly to: NodeId };

export function nextReconcileStep(input: ReconcileInput): ReconcileStep | null {
  const { conf, wantVoters, wantLearners, self } = input;
  const members = new Set([...conf.voters, ...conf.learners]);
  const caughtUp = (n: NodeId): boolean => input.matchOf(n) >= input.commit;
  const promote = conf.learners.find((n) => wantVoters.includes(n) && caughtUp(n));
  if (promote !== undefined) return { kind: 'change', change: { type: 'addVoter', node: promote } };
  for (const node of [...wantVoters, ...wantLearners]) {
    if (members.has(node)) continue;
    const address = input.addressOf(node);
    if (address !== undefined) return { kind: 'change', change: { type: 'addLearner', node, address } };
  }
  const unwantedVoter = conf.voters.find((n) => !wantVoters.includes(n));
  if (unwantedVoter !== undefined && wantVoters.every((n) => conf.voters.includes(n))) {
    if (unwantedVoter !== self) return { kind: 'change', change: { type: 'removeNode', node: unwantedVoter } };
    const heir = wantVoters.find((n) => n !== self && caughtUp(n));
    return heir === undefined ? null : { kind: 'transfer', to: heir };
  }
  const unwantedLearner = conf.learners.find((n) => !wantVoters.includes(n) && !wantLearners.includes(n));
  if (unwantedLearner !== undefined) return { kind: 'change', change: { type: 'removeNode', node: unwantedLearner } };
  return null;
}
