/**
 * Goal: the cluster operator's work during the fault phase: replica moves, splits, adding fresh
 * nodes and draining nodes away. Method: each task is re-planned at every operator step from the
 * group leader's current configuration (a failed or lost conf change is simply proposed again),
 * one conf change at a time per group:
 *   move g A->B: addLearner(B); once B's match reaches the commit index, addVoter(B); then
 *   removeNode(A), after transferring leadership away if A leads.
 * A node never hosts a group again once it has left it, and is never added while it still holds a
 * replica of it (Raft does not support a member rejoining with an old log). A split sends
 * split(child, mid) to the parent's leader, mid the middle of the leader's descriptor.
 * A drained node is stopped once no group's leader counts it as a member and no split is in doubt.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';
import type { ConfChange } from '../../../src/raft/types.js';
import { chance, pick } from '../random.js';
import { encodeCommand } from './group-machine.js';
import type { MultiNode, MultiView } from './multi-node.js';
import type { MultiOptions } from './multi-options.js';

/** A move that has not finished by then is abandoned (its target may stay a learner). */
const MOVE_DEADLINE_MS = 1_500;

interface Move {
  readonly group: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly startedMs: number;
}

interface SplitInDoubt {
  readonly parent: number;
  readonly child: number;
  readonly index: number;
}

export class Operator {
  readonly stats = { movesStarted: 0, movesDone: 0, movesAbandoned: 0, confChangesProposed: 0, splitsProposed: 0, nodesAdded: 0, nodesDrained: 0 };
  private readonly moves = new Map<number, Move>();
  private readonly splits: SplitInDoubt[] = [];
  /** group -> nodes that ever hosted it in the operator's plans. */
  private readonly hosted = new Map<number, Set<number>>();

  constructor(
    private readonly rng: Rng,
    private readonly options: MultiOptions,
    private readonly view: MultiView & { allocateGroup(): number | undefined },
  ) {}

  step(): void {
    for (const move of [...this.moves.values()]) this.driveMove(move);
    this.driveDrains();
    const rates = this.options.operator;
    if (chance(this.rng, rates.move)) this.startRandomMove();
    if (chance(this.rng, rates.split)) this.split();
    if (chance(this.rng, rates.addNode) && this.view.addNode() !== undefined) this.stats.nodesAdded++;
    if (chance(this.rng, rates.removeNode)) this.startDrain();
  }

  private hostedBy(group: number): Set<number> {
    let set = this.hosted.get(group);
    if (set === undefined) {
      set = new Set();
      this.hosted.set(group, set);
    }
    return set;
  }

  /** Nodes a replica of `group` may move to: serving, not draining, never hosted it, holding none of it. */
  private targets(group: number, members: readonly NodeId[]): MultiNode[] {
    const hosted = this.hostedBy(group);
    return this.view.nodes().filter((n) => n.isServing(this.view.nowMs) && !n.isDraining && !members.includes(n.id) && !hosted.has(n.id) && !n.replicas.has(group));
  }

  private startRandomMove(): void {
    const groups = this.view.groups().filter((g) => !this.moves.has(g));
    if (groups.length === 0) return;
    const group = pick(this.rng, groups);
    const leader = this.view.groupLeader(group);
    if (leader === undefined) return;
    const conf = leader.replica.status()?.conf;
    if (conf === undefined || conf.learners.length > 0) return;
    const to = this.targets(group, conf.voters);
    if (to.length === 0) return;
    this.startMove(group, pick(this.rng, conf.voters), pick(this.rng, to).id);
  }

  private startMove(group: number, from: NodeId, to: NodeId): void {
    for (const voter of this.view.groupLeader(group)?.replica.status()?.conf.voters ?? []) this.hostedBy(group).add(voter);
    this.hostedBy(group).add(to);
    this.moves.set(group, { group, from, to, startedMs: this.view.nowMs });
    this.stats.movesStarted++;
    this.view.log(`operator: move g${group} n${from} -> n${to}`);
  }

  private driveMove(move: Move): void {
    if (this.view.nowMs - move.startedMs > MOVE_DEADLINE_MS) {
      this.moves.delete(move.group);
      this.stats.movesAbandoned++;
      this.view.log(`operator: move g${move.group} n${move.from} -> n${move.to} abandoned`);
      return;
    }
    const leader = this.view.groupLeader(move.group);
    const status = leader?.replica.status();
    if (leader === undefined || status === undefined) return;
    const { voters, learners } = status.conf;
    if (voters.includes(move.to) && !voters.includes(move.from) && !learners.includes(move.from)) {
      this.moves.delete(move.group);
      this.stats.movesDone++;
      this.view.log(`operator: move g${move.group} n${move.from} -> n${move.to} done`);
      return;
    }
    if (!voters.includes(move.to) && !learners.includes(move.to)) return this.propose(move.group, { type: 'addLearner', node: move.to });
    if (learners.includes(move.to)) {
      const match = status.progress.get(move.to)?.match ?? 0;
      if (match >= status.commit) this.propose(move.group, { type: 'addVoter', node: move.to });
      return;
    }
    if (leader.node.id === move.from) {
      const result = leader.replica.raft().transferLeadership(move.to);
      this.view.log(`operator: g${move.group} leader n${move.from} hands over to n${move.to}: ${result.ok ? 'started' : result.error.code}`);
      return;
    }
    this.propose(move.group, { type: 'removeNode', node: move.from });
  }

  private propose(group: number, change: ConfChange): void {
    const leader = this.view.groupLeader(group);
    if (leader === undefined) return;
    const result = leader.replica.raft().proposeConfChange(change);
    if (result.ok) this.stats.confChangesProposed++;
    this.view.log(`operator: g${group} ${change.type} n${change.node} via n${leader.node.id}: ${result.ok ? `proposed at ${result.value.index}` : result.error.code}`);
  }

  private split(): void {
    const groups = this.view.groups().filter((g) => !this.moves.has(g) && !this.splits.some((s) => s.parent === g));
    if (groups.length === 0) return;
    const parent = pick(this.rng, groups);
    const leader = this.view.groupLeader(parent);
    if (leader === undefined) return;
    const { start, end } = leader.replica.disk.machine.descriptor;
    if (end - start < 2) return;
    const child = this.view.allocateGroup();
    if (child === undefined) return;
    const mid = start + Math.floor((end - start) / 2);
    const result = leader.replica.raft().propose(encodeCommand({ op: 'split', child, mid }));
    this.view.log(`operator: split g${parent} at ${mid} into g${child} via n${leader.node.id}: ${result.ok ? `proposed at ${result.value.index}` : result.error.code}`);
    if (!result.ok) return;
    this.stats.splitsProposed++;
    this.splits.push({ parent, child, index: result.value.index });
    for (const voter of leader.replica.status()?.conf.voters ?? []) this.hostedBy(child).add(voter);
  }

  private startDrain(): void {
    const active = this.view.nodes().filter((n) => !n.isDraining);
    if (active.length <= this.options.replicationFactor) return;
    const node = pick(this.rng, active);
    node.isDraining = true;
    this.view.log(`operator: drain n${node.id}`);
  }

  private driveDrains(): void {
    this.settleSplits();
    for (const node of this.view.nodes()) {
      if (!node.isDraining) continue;
      const busy = this.view.groups().some((group) => this.drainGroup(node, group));
      if (!busy && this.splits.length === 0) {
        this.stats.nodesDrained++;
        this.view.decommission(node.id);
      }
    }
  }

  /** Starts or waits for the move of `group` off `node`; false once the group no longer counts it. */
  private drainGroup(node: MultiNode, group: number): boolean {
    const leader = this.view.groupLeader(group);
    const status = leader?.replica.status();
    if (leader === undefined || status === undefined) return true;
    const members = [...status.conf.voters, ...status.conf.learners];
    if (!members.includes(node.id) && status.applied === status.lastIndex) return false;
    if (!members.includes(node.id) || this.moves.has(group)) return true;
    if (status.conf.learners.includes(node.id)) {
      this.propose(group, { type: 'removeNode', node: node.id });
      return true;
    }
    const to = this.targets(group, members);
    if (to.length > 0) this.startMove(group, node.id, pick(this.rng, to).id);
    return true;
  }

  /** A split is out of doubt once its parent's leader has applied past it (the child exists or never will). */
  private settleSplits(): void {
    for (let i = this.splits.length - 1; i >= 0; i--) {
      const split = this.splits[i];
      if (split === undefined) continue;
      const applied = this.view.groupLeader(split.parent)?.replica.status()?.applied ?? 0;
      if (applied >= split.index) this.splits.splice(i, 1);
    }
  }
}

