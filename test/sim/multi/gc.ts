/**
 * Goal: garbage collection of removed replicas, as the server does it (src/server/replica-gc.ts).
 * Method, checked for every replica at every operator step:
 *  1. a node considers deleting its replica of g only when the shard map (the operator's placement)
 *     no longer places g on it;
 *  2. it asks the placed nodes in order; a node that is not serving, not reachable both ways or
 *     hosts no replica of g gives no answer, and neither does an uninitialized replica (applied 0:
 *     it knows no membership; FINDINGS.md M3): the next placed node is asked. The first answer,
 *     (members, applied index, term), decides: delete iff that applied index reaches the node's own
 *     replica's last index (log end, not applied index) and the members leave it out;
 *  3. the deletion leaves a tombstone with the answer's term and applied index (multi-node.ts): a
 *     leader's message of a lower term does not create the replica again, a replica created again
 *     starts with RaftNode's voteFloor at that applied index (replicas.ts), and a split does not
 *     found the child over it.
 * The other rules are earlier or deliberately weaker ones, kept as mutations: 'trusts-empty' (the
 * server before it skipped uninitialized answers: M3), 'removal-proof' (any initialized replica
 * applied at least as far that has applied the node's removal; M1's fix), 'as-stated' (any replica
 * applied at least as far that leaves the node out: M1) and 'ignores-applied' (the server's rule
 * without the index comparison). A separate safety check (gc-safety) refuses any destruction of a
 * replica whose node is a voter in the group's latest configuration (the most advanced replica's):
 * that would lose acknowledged entries and a vote.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import { SafetyViolation } from '../checkers/violation.js';
import type { MultiNode, MultiView, Replica } from './multi-node.js';

/** 'server': the rule above; the others are earlier or deliberately weaker rules (mutations). */
export type GcRule = 'server' | 'trusts-empty' | 'removal-proof' | 'as-stated' | 'ignores-applied';

/** What the GC needs beyond the view: the shard map's placement and the network. */
export interface GcContext {
  readonly view: MultiView;
  readonly rule: GcRule;
  /** The nodes the shard map places `group` on (undefined: not in the map). */
  readonly placement: (group: number) => readonly NodeId[] | undefined;
  readonly isCut: (from: NodeId, to: NodeId) => boolean;
}

const ASKS_PLACEMENT: ReadonlySet<GcRule> = new Set(['server', 'trusts-empty', 'ignores-applied']);

interface Answer {
  readonly node: MultiNode;
  readonly replica: Replica;
  readonly members: readonly NodeId[];
  readonly applied: number;
  readonly term: number;
}

export function collectGarbage(context: GcContext): void {
  const { view } = context;
  for (const node of view.nodes()) {
    if (!node.isServing(view.nowMs)) continue;
    for (const [group, replica] of [...node.replicas]) {
      const proof = ASKS_PLACEMENT.has(context.rule) ? askPlacement(context, node, group, replica) : findProof(context, node, group, replica);
      if (proof === undefined) continue;
      const why = `n${proof.node.id}'s replica at ${proof.applied} (term ${proof.term}, members [${proof.members.join(',')}]) shows n${node.id} is not a member`;
      checkNotVoter(view, node, group, why);
      view.destroyReplica(node, group, { term: proof.term, applied: proof.applied }, why);
    }
  }
}

/** Rules 1 and 2: the first placed node that answers decides. */
function askPlacement(context: GcContext, node: MultiNode, group: number, replica: Replica): Answer | undefined {
  const placement = context.placement(group);
  if (placement === undefined || placement.includes(node.id)) return undefined;
  for (const id of placement) {
    const answer = ask(context, node, id, group);
    if (answer === undefined) continue;
    const lastIndex = replica.status()?.lastIndex ?? 0;
    const isProof = (context.rule === 'ignores-applied' || answer.applied >= lastIndex) && !answer.members.includes(node.id);
    return isProof ? answer : undefined;
  }
  return undefined;
}

function ask(context: GcContext, asker: MultiNode, id: NodeId, group: number): Answer | undefined {
  const { view } = context;
  const other = view.node(id);
  if (other === undefined || other === asker || !other.isServing(view.nowMs) || context.isCut(asker.id, id) || context.isCut(id, asker.id)) return undefined;
  const replica = other.replicas.get(group);
  const status = replica?.status();
  if (replica === undefined || status === undefined) return undefined;
  // An uninitialized replica knows no membership: its answer is skipped (FINDINGS.md M3).
  if (context.rule !== 'trusts-empty' && replica.disk.machine.applied === 0) return undefined;
  const { conf, applied } = replica.disk.machine;
  return { node: other, replica, members: [...conf.voters, ...conf.learners], applied, term: status.term };
}

/** The earlier rules: any initialized replica on a serving node may prove it, wherever the map puts the group. */
function findProof(context: GcContext, node: MultiNode, group: number, replica: Replica): Answer | undefined {
  const { view, rule } = context;
  const applied = replica.disk.machine.applied;
  for (const other of view.nodes()) {
    if (other === node || !other.isServing(view.nowMs)) continue;
    const witness = other.initialized(group);
    const status = witness?.status();
    if (witness === undefined || status === undefined) continue;
    const machine = witness.disk.machine;
    if (machine.applied < applied) continue;
    const members = [...machine.conf.voters, ...machine.conf.learners];
    const sawRemoval = rule !== 'removal-proof' || machine.removed.has(node.id);
    if (!members.includes(node.id) && sawRemoval) return { node: other, replica: witness, members, applied: machine.applied, term: status.term };
  }
  return undefined;
}

function checkNotVoter(view: MultiView, node: MultiNode, group: number, why: string): void {
  const latest = view.freshest(group);
  if (latest === undefined || !latest.disk.machine.conf.voters.includes(node.id)) return;
  throw new SafetyViolation('gc-safety', `GC destroyed g${group}'s replica on n${node.id} (applied ${node.replicas.get(group)?.disk.machine.applied ?? 0}), a voter in the group's latest configuration at ${latest.disk.machine.applied}, because ${why}`);
}
