/**
 * Goal: a whole multi-group (multi-raft) cluster driven by one seed. Every replica of every group
 * is a real RaftNode driven through Ready by a SimNode over a GroupMachine; a node hosts many
 * replicas, and crashes, pauses, restarts and network cuts hit the node as a whole. Method: the
 * single-group simulator's event queue, network, disk and checkers, with messages carrying their
 * group. A replica is created empty (joinerState) on the first message from a leader of its
 * group, founded by a split applied on its node (replicas.ts), and destroyed by garbage
 * collection (gc.ts). The per-group safety checkers run after every event; ownership and client
 * checks run as operations are served; linearizability and the final reads after the liveness phase.
 */
import { assert } from '../../../src/shared/assert.js';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import type { SeededRng } from '../../../src/shared/rng.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import { HashRing } from '../../../src/shard/hash-ring.js';
import { initialPlacement } from '../../../src/shard/placement.js';
import type { CheckerSuite } from '../checkers/checker-suite.js';
import { SafetyViolation } from '../checkers/violation.js';
import { deferWhilePaused, EventQueue } from '../event-queue.js';
import { FaultInjector } from '../faults.js';
import { Network } from '../network.js';
import { Trace, describeMessage } from '../trace.js';
import { ClientDriver } from './clients.js';
import type { Descriptor } from './group-machine.js';
import { freshestOf, groupsOf, leaderOf } from './cluster-queries.js';
import { collectGarbage } from './gc.js';
import { MultiLiveness } from './multi-liveness.js';
import { MultiNode, type MultiView, type Replica, type Tombstone } from './multi-node.js';
import type { MultiOptions } from './multi-options.js';
import { GroupCheckers, toViolation } from './group-checkers.js';
import { Operator } from './operator.js';
import { OwnershipModel } from './ownership.js';
import { ReplicaFactory } from './replicas.js';
import type { MultiReport, MultiSetup } from './multi-setup.js';
import { finalChecks } from './final-checks.js';

const TRACE_LINES_KEPT = 400;
const TRACE_TAIL_REPORTED = 60;

type MultiEvent =
  | { readonly kind: 'tick'; readonly node: NodeId }
  | { readonly kind: 'deliver'; readonly group: number; readonly message: RaftMessage; readonly sender: Replica | undefined }
  | { readonly kind: 'write'; readonly node: NodeId; readonly replica: Replica; readonly epoch: number }
  | { readonly kind: 'clients' | 'operator' | 'faults' }
  | { readonly kind: 'action'; readonly label: string; readonly run: () => void };

/** Messages that a replica-less node answers by creating an empty replica (a leader's). */
const CREATES_REPLICA = new Set<RaftMessage['type']>(['appendEntries', 'heartbeat', 'installSnapshot']);

export class MultiCluster implements MultiView {
  nowMs = 0;
  private events = 0;
  private phase: 'faults' | 'liveness' = 'faults';
  private nodeIdNext: number;
  private groupIdNext: number;
  private readonly queue: EventQueue<MultiEvent>;
  private readonly nodeMap = new Map<NodeId, MultiNode>();
  private readonly tickIntervalsMs = new Map<NodeId, number>();
  private readonly tickRng: SeededRng;
  readonly trace: Trace;
  readonly network: Network;
  private readonly checkers = new GroupCheckers();
  readonly ownership: OwnershipModel;
  readonly clients: ClientDriver;
  private readonly operator: Operator;
  private readonly faultInjector: FaultInjector<MultiNode>;
  private readonly replicas: ReplicaFactory;
  private readonly initialRanges: Map<number, Descriptor>;
  private finalStats: Record<string, number> = {};

  constructor(private readonly setup: MultiSetup) {
    const { options, rng } = setup;
    const sim = options.sim;
    this.queue = new EventQueue(sim.bounds.eventsQueuedMax);
    this.trace = new Trace(() => this.nowMs, TRACE_LINES_KEPT, setup.print);
    this.network = new Network(rng.fork(), sim.network, sim.bounds.messagesInFlightMax);
    this.tickRng = rng.fork();
    const replicaRng = rng.fork();
    const clientRng = rng.fork();
    const operatorRng = rng.fork();
    const faultRng = rng.fork();
    this.nodeIdNext = sim.nodeCount + 1;
    this.groupIdNext = options.groupCount + 1;
    const ring = HashRing.even(Array.from({ length: options.groupCount }, (_, i) => i + 1) as never[]);
    this.initialRanges = new Map(ring.ranges.map((r) => [Number(r.group), { start: r.start, end: r.end }]));
    this.ownership = new OwnershipModel(this.initialRanges, !setup.historyOnly);
    this.replicas = new ReplicaFactory(this, replicaRng, setup.createNode, setup.faults);
    this.clients = new ClientDriver(clientRng, options, this, this.ownership);
    this.operator = new Operator(operatorRng, options, this);
    this.faultInjector = new FaultInjector<MultiNode>(faultRng, sim.faults, this, this.network, { put: () => undefined }, this.trace);
  }

  run(): MultiReport {
    let violation: MultiReport['violation'] = null;
    try {
      this.boot();
      this.runUntil(this.options.sim.faultPhaseMs, () => false);
      const goal = this.beginLiveness();
      if (!this.runUntil(this.nowMs + this.options.sim.livenessBudgetMs, () => goal.check())) {
        throw new SafetyViolation('liveness', `${this.options.sim.livenessBudgetMs} ms after healing: ${goal.missing}`);
      }
      this.trace.log('liveness reached: final reads and the history check');
      const final = finalChecks(this, this.ownership, this.clients);
      this.finalStats = { ...final };
    } catch (error) {
      violation = toViolation(error, this.nowMs);
      this.trace.log(`VIOLATION [${violation.checker}] ${violation.message}`);
    }
    return { events: this.events, virtualMs: this.nowMs, violation, stats: this.stats(), trace: this.trace.tail(TRACE_TAIL_REPORTED) };
  }

  get options(): MultiOptions {
    return this.setup.options;
  }
  get historyTime(): number {
    return this.events;
  }
  get isHealing(): boolean {
    return this.phase === 'liveness';
  }

  // ---- MultiView and FaultView ------------------------------------------------------------------

  nodes(): MultiNode[] {
    return [...this.nodeMap.values()].filter((n) => !n.isDecommissioned);
  }
  liveNodes(): MultiNode[] {
    return this.nodes();
  }
  node(id: NodeId): MultiNode | undefined {
    return this.nodeMap.get(id);
  }
  groups(): number[] {
    return groupsOf(this.nodes());
  }
  groupLeader(group: number): { node: MultiNode; replica: Replica } | undefined {
    return leaderOf(this.nodes(), group, this.nowMs);
  }
  freshest(group: number): Replica | undefined {
    return freshestOf(this.nodes(), group);
  }
  /** For faults: the leader of a random-ish group (the lowest group with one). */
  leader(): MultiNode | undefined {
    for (const group of this.groups()) {
      const found = this.groupLeader(group);
      if (found !== undefined) return found.node;
    }
    return undefined;
  }
  addNode(): MultiNode | undefined {
    if (this.nodeIdNext > this.options.nodesMax) return undefined;
    const node = this.startNode(nodeId(this.nodeIdNext++));
    this.trace.log(`operator adds fresh node n${node.id}`);
    return node;
  }
  allocateGroup(): number | undefined {
    return this.groupIdNext > this.options.groupsMax ? undefined : this.groupIdNext++;
  }
  crash(id: NodeId): void {
    const node = this.nodeMap.get(id);
    if (node === undefined || !node.isUp) return;
    node.isUp = false;
    for (const replica of node.replicas.values()) replica.crash();
  }
  restart(id: NodeId): void {
    const node = this.nodeMap.get(id);
    if (node === undefined || node.isUp || node.isDecommissioned) return;
    this.trace.log(`n${id} restarts with ${node.replicas.size} replicas`);
    node.isUp = true;
    for (const replica of node.replicas.values()) replica.start();
  }
  pause(id: NodeId, untilMs: number): void {
    const node = this.nodeMap.get(id);
    if (node === undefined || untilMs <= node.pausedUntilMs) return;
    node.pausedUntilMs = untilMs;
    this.later(untilMs - this.nowMs, `n${id} resumes`, () => this.resume(node));
  }
  decommission(id: NodeId): void {
    const node = this.nodeMap.get(id);
    if (node === undefined || node.isDecommissioned) return;
    this.crash(id);
    node.isDecommissioned = true;
    this.trace.log(`operator stops drained n${id}`);
  }
  destroyReplica(node: MultiNode, group: number, tombstone: Tombstone, why: string): void {
    const replica = node.replicas.get(group);
    if (replica === undefined) return;
    this.trace.log(`gc: destroy g${group} replica on n${node.id} (applied ${replica.disk.machine.applied}, last ${replica.status()?.lastIndex ?? 0}), tombstone term ${tombstone.term} applied ${tombstone.applied}: ${why}`);
    replica.crash();
    node.replicas.delete(group);
    if (this.setup.faults.tombstones !== 'none') node.tombstones.set(group, tombstone);
  }
  later(delayMs: number, label: string, run: () => void): void {
    this.queue.push(this.nowMs + delayMs, { kind: 'action', label, run });
  }
  log(text: string): void {
    this.trace.log(text);
  }

  /** Per-group checker suite, made on first use (children of splits appear at run time). */
  checkersOf(group: number): CheckerSuite {
    return this.checkers.of(group);
  }

  scheduleWrite(node: NodeId, replica: Replica, epoch: number, delayMs: number): void {
    this.queue.push(this.nowMs + delayMs, { kind: 'write', node, replica, epoch });
  }

  send(group: number, message: RaftMessage): void {
    for (const atMs of this.network.route(message.from, message.to, this.nowMs)) {
      this.queue.push(atMs, { kind: 'deliver', group, message, sender: this.nodeMap.get(message.from)?.replicas.get(group) });
    }
  }

  // ---- Event loop -------------------------------------------------------------------------------

  private boot(): void {
    const founders = Array.from({ length: this.options.sim.nodeCount }, (_, i) => nodeId(i + 1));
    for (const id of founders) this.startNode(id);
    for (const placement of initialPlacement(founders, this.options.groupCount, this.options.replicationFactor)) {
      const group = Number(placement.group);
      const range = this.initialRanges.get(group);
      assert(range !== undefined, `No range for g${group}`);
      this.operator.place(group, placement.replicas);
      for (const id of placement.replicas) this.replicas.foundInitial(this.nodeOf(id), group, placement.replicas, range);
    }
    const sim = this.options.sim;
    this.queue.push(sim.workloadStepMs, { kind: 'clients' });
    this.queue.push(this.options.operatorStepMs, { kind: 'operator' });
    this.queue.push(sim.faultStepMs, { kind: 'faults' });
  }

  nodeOf(id: NodeId): MultiNode {
    const node = this.nodeMap.get(id);
    assert(node !== undefined, `No node ${id}`);
    return node;
  }

  private startNode(id: NodeId): MultiNode {
    assert(!this.nodeMap.has(id), `Node ${id} already exists`);
    const node = new MultiNode(id);
    node.isUp = true;
    this.nodeMap.set(id, node);
    const sim = this.options.sim;
    const drift = sim.tickSkew * (this.tickRng.nextInt(2) === 0 ? -1 : 1) * (0.5 + 0.5 * this.tickRng.nextFloat());
    this.tickIntervalsMs.set(id, sim.tickMs * (1 + drift));
    this.queue.push(this.nowMs + 1 + this.tickRng.nextInt(sim.tickMs), { kind: 'tick', node: id });
    return node;
  }

  private beginLiveness(): MultiLiveness {
    this.phase = 'liveness';
    this.faultInjector.stop();
    this.network.heal(this.options.sim.calmNetwork);
    this.trace.log('liveness phase: network healed, faults and operator stopped, every node restarted');
    for (const node of this.nodes()) this.restart(node.id);
    return new MultiLiveness(this);
  }

  private runUntil(endMs: number, isDone: () => boolean): boolean {
    return this.queue.runUntil(endMs, (slot) => {
      this.nowMs = slot.timeMs;
      this.dispatch(slot.event);
      this.events++;
      this.afterEvent();
    }, isDone);
  }

  private dispatch(event: MultiEvent): void {
    if (this.deferIfPaused(event)) return;
    const sim = this.options.sim;
    switch (event.kind) {
      case 'tick':
        return this.tick(event.node);
      case 'deliver':
        return this.deliver(event.group, event.message, event.sender);
      case 'write':
        if (this.nodeMap.get(event.node)?.isUp === true) event.replica.completeWrite(event.epoch);
        return;
      case 'clients':
        if (this.phase === 'faults') this.clients.step();
        this.clients.expire(this.nowMs);
        return this.queue.push(this.nowMs + sim.workloadStepMs, event);
      case 'operator':
        if (this.phase === 'faults') this.operator.step();
        this.operator.reconcile();
        collectGarbage({ view: this, rule: this.setup.faults.gcRule, placement: (group) => this.operator.placement(group), isCut: (from, to) => this.network.isCut(from, to, this.nowMs) });
        return this.queue.push(this.nowMs + this.options.operatorStepMs, event);
      case 'faults':
        if (this.phase !== 'faults') return;
        this.faultInjector.step();
        return this.queue.push(this.nowMs + sim.faultStepMs, event);
      case 'action':
        this.trace.log(event.label);
        return event.run();
    }
  }

  private deferIfPaused(event: MultiEvent): boolean {
    const id = event.kind === 'deliver' ? event.message.to : event.kind === 'tick' || event.kind === 'write' ? event.node : undefined;
    const node = id === undefined ? undefined : this.nodeMap.get(id);
    const tickMs = node === undefined ? 0 : this.tickIntervalsMs.get(node.id) ?? this.options.sim.tickMs;
    return deferWhilePaused(this.queue, event, node, event.kind === 'tick', this.nowMs, tickMs);
  }

  private resume(node: MultiNode): void {
    if (node.pausedUntilMs > this.nowMs) return;
    const missed = node.ticksMissed;
    node.ticksMissed = 0;
    if (node.isDecommissioned) return;
    for (let i = 0; i < missed; i++) for (const replica of [...node.replicas.values()]) replica.tick();
  }

  private tick(id: NodeId): void {
    const node = this.nodeMap.get(id);
    if (node === undefined || node.isDecommissioned) return;
    for (const [group, replica] of [...node.replicas]) {
      this.wakeIfLeaderUnreachable(node, group, replica);
      replica.tick();
    }
    this.queue.push(this.nowMs + (this.tickIntervalsMs.get(id) ?? this.options.sim.tickMs), { kind: 'tick', node: id });
  }

  private wakeIfLeaderUnreachable(node: MultiNode, group: number, replica: Replica): void {
    const leader = replica.quiescedUnder();
    if (leader === null) return;
    const leaderNode = this.nodeMap.get(leader);
    const reachable = leaderNode !== undefined && leaderNode.isUp && leaderNode.replicas.has(group) && !this.network.isCut(leader, node.id, this.nowMs);
    if (!reachable) replica.unquiesce();
  }

  private deliver(group: number, message: RaftMessage, sender: Replica | undefined): void {
    this.network.arrived();
    const node = this.nodeMap.get(message.to);
    if (node === undefined || !node.isUp || this.network.isCut(message.from, message.to, this.nowMs)) return;
    if (!this.acceptsMessage(group, message, sender)) return;
    let replica = node.replicas.get(group);
    if (replica === undefined) {
      if (!CREATES_REPLICA.has(message.type) || node.isTombstoned(group, message.term, this.setup.faults.tombstones)) return;
      replica = this.replicas.createEmpty(node, group, `first ${message.type} from n${message.from}`);
    }
    if (this.trace.isVerbose) this.trace.log(`deliver g${group} ${describeMessage(message)}`);
    replica.receive(message);
  }

  /** Replica ids per incarnation (multi-options.ts), off by default like the server. */
  private acceptsMessage(group: number, message: RaftMessage, sender: Replica | undefined): boolean {
    return !this.setup.faults.replicaIncarnations || this.nodeMap.get(message.from)?.replicas.get(group) === sender;
  }

  private afterEvent(): void {
    for (const { group, elected } of this.checkers.afterEvent(this.nodeMap.values())) {
      this.trace.log(`n${elected.id} leads g${group} term ${elected.status.term} (last index ${elected.status.lastIndex}, commit ${elected.status.commit})`);
    }
  }

  private stats(): Record<string, number> {
    return {
      ...this.clients.stats,
      ...this.operator.stats,
      ...this.replicas.stats,
      groupsAtEnd: this.groups().length,
      nodesAtEnd: this.nodes().length,
      splitsApplied: this.ownership.splitsApplied,
      messagesSent: this.network.stats.sent,
      messagesDropped: this.network.stats.dropped,
      crashes: this.faultInjector.crashes,
      cuts: this.faultInjector.cuts,
      pauses: this.faultInjector.pauses,
      ...this.checkers.totals(),
      ...this.finalStats,
    };
  }
}
