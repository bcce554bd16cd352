/**
 * Goal: exercise one-server-at-a-time membership changes (thesis §4.1) the way an operator would:
 * start a fresh node, add it as a learner, promote it to voter, then remove a voter (sometimes the
 * leader itself), so the voter count returns to the cluster size. Method: one change at a time,
 * each decided from the leader's current configuration, so a failed or unknown change is simply
 * re-planned. A removed node is shut down once its removal is acknowledged. Node ids are never
 * reused: a rejoining id with an old log is not something Raft supports.
 */
import { nodeId, type NodeId } from '../../src/shared/ids.js';
import type { Rng } from '../../src/shared/rng.js';
import type { ConfChange, ConfState } from '../../src/raft/types.js';
import type { ClientTracker, Outcome } from './client.js';
import type { ClusterView } from './cluster-view.js';
import { chance, pick } from './random.js';

export class MembershipDriver {
  changesAcked = 0;
  private isBusy = false;
  private changesLeft: number;
  private spareNext: number;

  constructor(
    private readonly rng: Rng,
    private readonly view: ClusterView,
    private readonly client: ClientTracker,
    private readonly voterTarget: number,
    changesMax: number,
  ) {
    this.changesLeft = changesMax;
    this.spareNext = voterTarget + 1;
  }

  step(): void {
    const leader = this.view.leader();
    if (this.isBusy || this.changesLeft <= 0 || leader === undefined || !this.client.canPropose) return;
    const change = this.plan(leader.raft().status().conf, leader.id);
    if (change.type === 'addLearner' && this.view.node(change.node) === undefined) this.view.addJoiner(change.node);
    const label = `${change.type} n${change.node}`;
    const result = this.client.submit(leader, label, () => leader.raft().proposeConfChange(change), (outcome) => this.settled(change, outcome));
    if (!result.ok) return;
    this.isBusy = true;
    this.changesLeft--;
    if (change.type === 'addLearner') this.spareNext++;
  }

  private plan(conf: ConfState, leader: NodeId): ConfChange {
    const learner = conf.learners[0];
    if (learner !== undefined) return { type: 'addVoter', node: learner };
    if (conf.voters.length > this.voterTarget) {
      const others = conf.voters.filter((id) => id !== leader);
      const node = chance(this.rng, 0.4) || others.length === 0 ? leader : pick(this.rng, others);
      return { type: 'removeNode', node };
    }
    return { type: 'addLearner', node: nodeId(this.spareNext) };
  }

  private settled(change: ConfChange, outcome: Outcome): void {
    this.isBusy = false;
    if (outcome === 'acked') this.changesAcked++;
    if (change.type !== 'removeNode' || outcome !== 'acked') return;
    // Deferred: this runs inside the node's apply loop, which must finish first.
    this.view.later(0, `operator shuts down removed n${change.node}`, () => this.view.decommission(change.node));
  }
}
