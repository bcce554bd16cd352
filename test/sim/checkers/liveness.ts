/**
 * Goal: the liveness phase's demand. Once the network is healed and every node restarted, within a
 * bounded time: one leader that every member follows, a fresh write acknowledged, and every member
 * (voters and learners of the leader's configuration) applied through every acknowledged write.
 * Method: check() is called after each event and records what is still missing for the report.
 * Nodes outside the final configuration are shut down by the operator once it is settled.
 */
import type { ClientTracker } from '../client.js';
import type { ClusterView } from '../cluster-view.js';
import { encodePut } from '../kv-state-machine.js';
import type { SimNode } from '../sim-node.js';

export class LivenessGoal {
  private finalWrite: 'none' | 'pending' | 'acked' = 'none';
  private attempts = 0;
  private readonly retiring = new Set<number>();
  missing = 'no leader elected';

  constructor(
    private readonly view: ClusterView,
    private readonly client: ClientTracker,
  ) {}

  check(): boolean {
    const leader = this.view.leader();
    if (leader === undefined) return this.fail('no leader elected');
    const status = leader.raft().status();
    const members = [...status.conf.voters, ...status.conf.learners];
    for (const id of members) {
      const node = this.view.node(id);
      if (node === undefined || !node.isUp) return this.fail(`member n${id} is not running`);
      const follows = node.raft().status().leader;
      if (follows !== leader.id) return this.fail(`member n${id} follows ${follows === null ? 'nobody' : `n${follows}`}, not leader n${leader.id}`);
    }
    if (status.applied === status.lastIndex) this.retireNonMembers(members);
    if (this.finalWrite !== 'acked') return this.writeThrough(leader);
    for (const id of members) {
      const node = this.view.node(id);
      const applied = node?.disk.machine.applied ?? 0;
      if (applied < this.client.ackedIndexMax) {
        return this.fail(`member n${id} applied through ${applied}, but writes were acknowledged through ${this.client.ackedIndexMax}`);
      }
    }
    return true;
  }

  private writeThrough(leader: SimNode): boolean {
    if (this.finalWrite === 'pending' || !this.client.canPropose) return this.fail('the final write is not acknowledged yet');
    this.attempts++;
    const data = encodePut({ key: 'final', value: `attempt${this.attempts}` });
    const result = this.client.submit(leader, `final write #${this.attempts}`, () => leader.raft().propose(data), (outcome) => {
      this.finalWrite = outcome === 'acked' ? 'acked' : 'none';
    });
    if (result.ok) this.finalWrite = 'pending';
    return this.fail(`the final write is not acknowledged yet (attempt ${this.attempts})`);
  }

  /** With every change in the leader's log applied, nodes outside its configuration are retired. */
  private retireNonMembers(members: readonly number[]): void {
    for (const node of this.view.liveNodes()) {
      if (members.includes(node.id) || this.retiring.has(node.id)) continue;
      this.retiring.add(node.id);
      this.view.later(0, `operator shuts down non-member n${node.id}`, () => this.view.decommission(node.id));
    }
  }

  private fail(missing: string): boolean {
    this.missing = missing;
    return false;
  }
}
