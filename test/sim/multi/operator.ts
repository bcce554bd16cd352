/**
 * Goal: the cluster operator's work during the fault phase, as the server's shard map and replica
 * mover do it: the operator edits each group's placement (the replica set the map wants), and each
 * group's leader takes one membership step toward it at every operator step, in both phases
 * (src/shard/reconcile.ts, shared with the server: add learner, catch up, promote, transfer away,
 * remove the unwanted voter, remove unwanted learners). Method:
 *   move g A->B: the placement swaps A for B; B is any serving node outside the placement that is
 *   not being drained, so a group may move back onto a node that held it before (its old replica,
 *   if GC has not deleted it yet, catches up like any lagging follower; a deleted one is created
 *   again by the leader, whose term passes the tombstone's);
 *   a move not done by its deadline is abandoned: the placement swaps B back for A (the balancer
 *   changing its mind), so the leader removes B's learner, or moves the group back onto A.
 * One move at a time per group. A split sends split(child, mid) to the parent's leader, mid the
 * middle of the leader's descriptor; the child's placement is the parent's. A drained node is
 * stopped once no placement lists it, no group's leader counts it and no split is in doubt.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';
import type { ConfChange } from '../../../src/raft/types.js';
import { nextReconcileStep, type ReconcileStep } from '../../../src/shard/reconcile.js';
import { chance, pick } from '../random.js';
import { encodeCommand } from './group-machine.js';
import type { MultiNode, MultiView } from './multi-node.js';
import type { MultiOptions } from './multi-options.js';

/** A move that has not finished by then is abandoned (the placement goes back). */
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
  readonly stats = { movesStarted: 0, movesDone: 0, movesAbandoned: 0, movesBack: 0, confChangesProposed: 0, splitsProposed: 0, nodesAdded: 0, nodesDrained: 0 };
  /** group -> the nodes the shard map places it on. */
  private readonly placements = new Map<number, NodeId[]>();
  private readonly moves = new Map<number, Move>();
  private readonly splits: SplitInDoubt[] = [];
  /** group -> nodes that ever held it in the placement (only to count moves back). */
  private readonly placedBefore = new Map<number, Set<NodeId>>();

  constructor(
    private readonly rng: Rng,
    private readonly options: MultiOptions,
    private readonly view: MultiView & { allocateGroup(): number | undefined },
  ) {}

  /** Sets a group's placement (founding groups at boot). */
  place(group: number, replicas: readonly NodeId[]): void {
    this.placements.set(group, [...replicas]);
    const before = this.placedBefore.get(group) ?? new Set<NodeId>();
    for (const id of replicas) before.add(id);
    this.placedBefore.set(group, before);
  }

  placement(group: number): readonly NodeId[] | undefined {
    return this.placements.get(group);
  }

  step(): void {
    for (const move of [...this.moves.values()]) this.driveMove(move);
    this.driveDrains();
    const rates = this.options.operator;
    if (chance(this.rng, rates.move)) this.startRandomMove();
    if (chance(this.rng, rates.split)) this.split();
    if (chance(this.rng, rates.addNode) && this.view.addNode() !== undefined) this.stats.nodesAdded++;
    if (chance(this.rng, rates.removeNode)) this.startDrain();
  }

  /** Every group's leader takes its next step toward the placement (the server's replica mover). */
  reconcile(): void {
    for (const [group, wantVoters] of this.placements) {
      const leader = this.view.groupLeader(group);
      const status = leader?.replica.status();
      if (leader === undefined || status === undefined) continue;
      const step = nextReconcileStep({
        self: leader.node.id, conf: status.conf, wantVoters, wantLearners: [], commit: status.commit,
        matchOf: (n) => (n === leader.node.id ? status.lastIndex : status.progress.get(n)?.match ?? 0),
        addressOf: (n) => (this.view.node(n)?.isDecommissioned === false ? `n${n}` : undefined),
      });
      if (step !== null) this.take(group, leader, step);
    }
  }

  private take(group: number, leader: NonNullable<ReturnType<MultiView['groupLeader']>>, step: ReconcileStep): void {
    if (step.kind === 'transfer') {
      const result = leader.replica.raft().transferLeadership(step.to);
      if (result.ok) this.view.log(`operator: g${group} leader n${leader.node.id} hands over to n${step.to}`);
      return;
    }
    const change: ConfChange = { type: step.change.type, node: step.change.node };
    const result = leader.replica.raft().proposeConfChange(change);
    if (!result.ok) return;
    this.stats.confChangesProposed++;
    this.view.log(`operator: g${group} ${change.type} n${change.node} via n${leader.node.id}: proposed at ${result.value.index}`);
  }

  /** Whether the group's leader has the placement as its configuration, with no learner. */
  private isSettled(group: number): boolean {
    const conf = this.view.groupLeader(group)?.replica.status()?.conf;
    const want = this.placements.get(group);
    if (conf === undefined || want === undefined) return false;
    return conf.learners.length === 0 && conf.voters.length === want.length && want.every((n) => conf.voters.includes(n));
  }

  /** Nodes a replica of `group` may move to: serving, not draining, outside its placement. */
  private targets(group: number): MultiNode[] {
    const placed = this.placements.get(group) ?? [];
    return this.view.nodes().filter((n) => n.isServing(this.view.nowMs) && !n.isDraining && !placed.includes(n.id));
  }

  private startRandomMove(): void {
    const groups = this.view.groups().filter((g) => !this.moves.has(g) && this.isSettled(g));
    if (groups.length === 0) return;
    const group = pick(this.rng, groups);
    const to = this.targets(group);
    const placed = this.placements.get(group);
    if (to.length === 0 || placed === undefined) return;
    this.startMove(group, pick(this.rng, placed), pick(this.rng, to).id);
  }

  private startMove(group: number, from: NodeId, to: NodeId): void {
    const placed = this.placements.get(group) ?? [];
    if (this.placedBefore.get(group)?.has(to) === true) this.stats.movesBack++;
    this.place(group, placed.map((n) => (n === from ? to : n)));
    this.moves.set(group, { group, from, to, startedMs: this.view.nowMs });
    this.stats.movesStarted++;
    this.view.log(`operator: move g${group} n${from} -> n${to}`);
  }

  private driveMove(move: Move): void {
    if (this.isSettled(move.group)) {
      this.moves.delete(move.group);
      this.stats.movesDone++;
      this.view.log(`operator: move g${move.group} n${move.from} -> n${move.to} done`);
      return;
    }
    if (this.view.nowMs - move.startedMs <= MOVE_DEADLINE_MS) return;
    this.moves.delete(move.group);
    this.stats.movesAbandoned++;
    const from = this.view.node(move.from);
    const placed = this.placements.get(move.group) ?? [];
    if (from === undefined || from.isDraining || !placed.includes(move.to)) {
      this.view.log(`operator: move g${move.group} n${move.from} -> n${move.to} abandoned`);
      return;
    }
    this.place(move.group, placed.map((n) => (n === move.to ? move.from : n)));
    this.view.log(`operator: move g${move.group} n${move.from} -> n${move.to} abandoned, placed back on n${move.from}`);
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
    this.place(child, this.placements.get(parent) ?? leader.replica.status()?.conf.voters ?? []);
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
      const busy = this.view.groups().some((group) => this.drainGroup(node, group)) || [...this.placements.values()].some((p) => p.includes(node.id));
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
    const placed = this.placements.get(group) ?? [];
    if (!members.includes(node.id) && !placed.includes(node.id) && status.applied === status.lastIndex) return false;
    if (!placed.includes(node.id) || this.moves.has(group)) return true;
    const to = this.targets(group);
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

