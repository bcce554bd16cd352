/**
 * Goal: garbage collection of removed replicas, by the design's rule: a replica is destroyed only
 * when another replica of its group that has applied at least as far as it has shows that its
 * node is not a member. The proof must come from an initialized replica (an empty one knows no
 * membership) on a serving node, and must have applied the node's removal: without that, a replica
 * lagging behind addLearner(B) "shows" that B's new replica (empty, or caught up from a snapshot
 * older than its own addition) is not a member, destroys it, and the leader, whose progress says B
 * already matched, ignores the recreated replica's rejections forever (seed 9, 3 nodes, with
 * --mutation gc-as-stated). Nodes never rejoin a group (operator.ts), so a removal is final. Method: checked for every replica at every operator step. A
 * separate safety check (gc-safety) refuses any destruction of a replica whose node is a voter in
 * the group's latest configuration (the most advanced replica's): that would lose acknowledged
 * log entries and a vote.
 */
import { SafetyViolation } from '../checkers/violation.js';
import type { MultiNode, MultiView, Replica } from './multi-node.js';

/** 'design': the rule above; the others are deliberate bugs for the mutation proofs. */
export type GcRule = 'design' | 'as-stated' | 'ignores-applied';

export function collectGarbage(view: MultiView, rule: GcRule): void {
  for (const node of view.nodes()) {
    if (!node.isServing(view.nowMs)) continue;
    for (const [group, replica] of [...node.replicas]) {
      const proof = findProof(view, node, group, replica, rule);
      if (proof === undefined) continue;
      checkNotVoter(view, node, group);
      view.destroyReplica(node, group, `n${proof.node.id}'s replica at ${proof.replica.disk.machine.applied} shows n${node.id} is not a member`);
    }
  }
}

function findProof(view: MultiView, node: MultiNode, group: number, replica: Replica, rule: GcRule): { node: MultiNode; replica: Replica } | undefined {
  const applied = replica.disk.machine.applied;
  for (const other of view.nodes()) {
    if (other === node || !other.isServing(view.nowMs)) continue;
    const witness = other.initialized(group);
    if (witness === undefined) continue;
    const machine = witness.disk.machine;
    if (rule !== 'ignores-applied' && machine.applied < applied) continue;
    const isMember = machine.conf.voters.includes(node.id) || machine.conf.learners.includes(node.id);
    const sawRemoval = rule !== 'design' || machine.removed.has(node.id);
    if (!isMember && sawRemoval) return { node: other, replica: witness };
  }
  return undefined;
}

function checkNotVoter(view: MultiView, node: MultiNode, group: number): void {
  const latest = view.freshest(group);
  if (latest === undefined || !latest.disk.machine.conf.voters.includes(node.id)) return;
  throw new SafetyViolation('gc-safety', `GC destroyed g${group}'s replica on n${node.id} (applied ${node.replicas.get(group)?.disk.machine.applied ?? 0}), a voter in the group's latest configuration at ${latest.disk.machine.applied}`);
}
