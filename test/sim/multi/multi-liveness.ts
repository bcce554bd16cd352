/**
 * Goal: the liveness phase's demand for a multi-group cluster. Once the network is healed and every
 * node restarted, within a bounded time, for every group that exists: a leader that every member
 * (voter and learner of its configuration) follows from a serving node, everything in its log
 * committed, and every member applied through its last index. Client operations still open must
 * have finished (acknowledged or timed out) so the history is complete.
 */
import type { MultiView } from './multi-node.js';
import type { ClientDriver } from './clients.js';

export class MultiLiveness {
  missing = 'not checked yet';

  constructor(private readonly view: MultiView & { readonly clients: ClientDriver }) {}

  check(): boolean {
    const groups = this.view.groups();
    if (groups.length === 0) return this.fail('no group has an initialized replica');
    for (const group of groups) {
      const problem = this.groupProblem(group);
      if (problem !== null) return this.fail(`g${group}: ${problem}`);
    }
    if (!this.view.clients.isIdle) return this.fail('client operations are still open');
    return true;
  }

  private groupProblem(group: number): string | null {
    const leader = this.view.groupLeader(group);
    const status = leader?.replica.status();
    if (leader === undefined || status === undefined) return 'no leader elected';
    if (status.commit < status.lastIndex) return `leader n${leader.node.id} committed through ${status.commit} of ${status.lastIndex}`;
    for (const id of [...status.conf.voters, ...status.conf.learners]) {
      const node = this.view.node(id);
      const replica = node?.replicas.get(group);
      if (node === undefined || !node.isServing(this.view.nowMs) || replica === undefined) return `member n${id} has no running replica`;
      const follows = replica.status()?.leader ?? null;
      if (follows !== leader.node.id) return `member n${id} follows ${follows === null ? 'nobody' : `n${follows}`}, not n${leader.node.id}`;
      if (replica.disk.machine.applied < status.lastIndex) return `member n${id} applied through ${replica.disk.machine.applied} of ${status.lastIndex}`;
    }
    return null;
  }

  private fail(missing: string): boolean {
    this.missing = missing;
    return false;
  }
}
