/**
 * Goal: one whole simulated cluster driven by one seed, in the manner of TigerBeetle's VOPR and
 * FoundationDB's simulator. Method: every effect is an event on one virtual-time queue (node ticks,
 * message deliveries, disk completions, client and fault steps, delayed actions); nothing else
 * runs. After each event the safety checkers look at every running node. A fault phase with
 * swarm-drawn fault rates is followed by a liveness phase: heal the network, restart every node,
 * stop the faults and demand a leader and convergence within a time budget.
 */
import { assert } from '../../src/shared/assert.js';
import { nodeId, type NodeId } from '../../src/shared/ids.js';
import type { SeededRng } from '../../src/shared/rng.js';
import { founderState, joinerState, type InitialState } from '../../src/raft/bootstrap.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import { CheckerSuite, type ObservedNode } from './checkers/checker-suite.js';
import { CommitQuorum } from './checkers/commit-quorum.js';
import { LivenessGoal } from './checkers/liveness.js';
import { SafetyViolation, type CheckerName } from './checkers/violation.js';
import { ClientTracker } from './client.js';
import type { ClusterView } from './cluster-view.js';
import type { NodeFactory } from './core.js';
import { deferWhilePaused, EventQueue } from './event-queue.js';
import { FaultInjector } from './faults.js';
import { MembershipDriver } from './membership.js';
import { Network } from './network.js';
import { SimNode, type NodeEnv, type NodeListener } from './sim-node.js';
import type { SimOptions } from './swarm.js';
import { Trace, describeData, describeMessage } from './trace.js';
import { Workload } from './workload.js';

const TRACE_LINES_KEPT = 400;
const TRACE_TAIL_REPORTED = 60;

type SimEvent =
  | { readonly kind: 'tick'; readonly node: NodeId }
  | { readonly kind: 'deliver'; readonly message: RaftMessage }
  | { readonly kind: 'write'; readonly node: NodeId; readonly epoch: number }
  | { readonly kind: 'workload' }
  | { readonly kind: 'faults' }
  | { readonly kind: 'action'; readonly label: string; readonly run: () => void };

export interface ClusterSetup {
  readonly options: SimOptions;
  /** Root stream of the seed; forked once per concern, always in the same order. */
  readonly rng: SeededRng;
  readonly createNode: NodeFactory;
  /** Prints every trace line as it happens (verbose replay of one seed). */
  readonly print: ((line: string) => void) | undefined;
}

export interface Violation {
  readonly checker: CheckerName;
  readonly message: string;
  readonly atMs: number;
}

export interface RunReport {
  readonly events: number;
  readonly virtualMs: number;
  readonly violation: Violation | null;
  readonly stats: Readonly<Record<string, number>>;
  readonly trace: readonly string[];
}

export class Cluster implements ClusterView {
  nowMs = 0;
  private events = 0;
  private snapshotsInstalled = 0;
  private phase: 'faults' | 'liveness' = 'faults';
  private readonly queue: EventQueue<SimEvent>;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly options: SimOptions;
  private readonly nodeRng: SeededRng;
  private readonly tickRng: SeededRng;
  /** Per-node tick interval (clock skew between nodes). */
  private readonly tickIntervalsMs = new Map<NodeId, number>();
  private readonly trace: Trace;
  private readonly checkers = new CheckerSuite();
  private readonly commitQuorum = new CommitQuorum();
  private readonly network: Network;
  private readonly client: ClientTracker;
  private readonly workload: Workload;
  private quiesceHeartbeats = 0;
  private quiescedWakes = 0;
  private readonly faults: FaultInjector;
  private readonly env: NodeEnv;

  constructor(private readonly setup: ClusterSetup) {
    const { options, rng } = setup;
    this.options = options;
    this.queue = new EventQueue(options.bounds.eventsQueuedMax);
    this.trace = new Trace(() => this.nowMs, TRACE_LINES_KEPT, setup.print);
    this.network = new Network(rng.fork(), options.network, options.bounds.messagesInFlightMax);
    this.nodeRng = rng.fork();
    this.tickRng = rng.fork();
    const workloadRng = rng.fork();
    const faultRng = rng.fork();
    this.client = new ClientTracker(options.bounds, this.checkers.reads, this.trace, () => this.nowMs);
    const membership = new MembershipDriver(workloadRng.fork(), this, this.client, options.nodeCount, options.bounds.membershipChangesMax);
    this.workload = new Workload(workloadRng, options.workload, this, this.client, membership, this.trace, options.tuning.leaseReads);
    this.faults = new FaultInjector(faultRng, options.faults, this, this.network, this.workload, this.trace);
    this.env = this.nodeEnv();
  }

  run(): RunReport {
    let violation: Violation | null = null;
    try {
      this.boot();
      this.runUntil(this.options.faultPhaseMs, () => false);
      const goal = this.beginLiveness();
      if (!this.runUntil(this.nowMs + this.options.livenessBudgetMs, () => goal.check())) {
        throw new SafetyViolation('liveness', `${this.options.livenessBudgetMs} ms after healing: ${goal.missing}`);
      }
    } catch (error) {
      violation = toViolation(error, this.nowMs);
      this.trace.log(`VIOLATION [${violation.checker}] ${violation.message}`);
    }
    return { events: this.events, virtualMs: this.nowMs, violation, stats: this.stats(), trace: this.trace.tail(TRACE_TAIL_REPORTED) };
  }

  // ---- ClusterView ------------------------------------------------------------------------------

  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => !n.isDecommissioned);
  }
  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.isServing);
  }
  node(id: NodeId): SimNode | undefined {
    return this.nodes.get(id);
  }
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const node of this.nodes.values()) {
      const status = node.isServing ? node.status() : undefined;
      if (status?.role === 'leader' && status.term > bestTerm) {
        best = node;
        bestTerm = status.term;
      }
    }
    return best;
  }
  addJoiner(id: NodeId): SimNode {
    return this.startNode(id, joinerState());
  }
  crash(id: NodeId): void {
    this.nodes.get(id)?.crash();
  }
  restart(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || node.isUp || node.isDecommissioned) return;
    this.trace.log(`n${id} restarts (applied ${node.disk.machine.applied}, log ${node.disk.store.firstIndex()}..${node.disk.store.lastIndex()})`);
    node.start();
  }
  pause(id: NodeId, untilMs: number): void {
    const node = this.nodes.get(id);
    if (node === undefined || untilMs <= node.pausedUntilMs) return;
    node.pausedUntilMs = untilMs;
    // Scheduled now, so it runs before any input that waits for the same instant.
    this.later(untilMs - this.nowMs, `n${id} resumes`, () => this.resume(node));
  }
  decommission(id: NodeId): void {
    this.nodes.get(id)?.decommission();
  }
  later(delayMs: number, label: string, run: () => void): void {
    this.queue.push(this.nowMs + delayMs, { kind: 'action', label, run });
  }

  // ---- Event loop -------------------------------------------------------------------------------

  private boot(): void {
    const founders = Array.from({ length: this.options.nodeCount }, (_, i) => nodeId(i + 1));
    for (const id of founders) this.startNode(id, founderState(founders));
    this.queue.push(this.options.workloadStepMs, { kind: 'workload' });
    this.queue.push(this.options.faultStepMs, { kind: 'faults' });
  }

  private startNode(id: NodeId, initial: InitialState): SimNode {
    assert(!this.nodes.has(id), `Node ${id} already exists`);
    const node = new SimNode(id, initial, this.nodeRng.fork(), this.env);
    this.nodes.set(id, node);
    // Bimodal: nodes run either fast or slow, so clocks that disagree are common.
    const drift = this.options.tickSkew * (this.tickRng.nextInt(2) === 0 ? -1 : 1) * (0.5 + 0.5 * this.tickRng.nextFloat());
    const tickMs = this.options.tickMs * (1 + drift);
    this.tickIntervalsMs.set(id, tickMs);
    this.trace.log(`n${id} starts (${initial.snapshot.conf.voters.length === 0 ? 'joiner' : 'founder'}, ticking every ${tickMs.toFixed(2)} ms)`);
    node.start();
    this.queue.push(this.nowMs + 1 + this.tickRng.nextInt(this.options.tickMs), { kind: 'tick', node: id });
    return node;
  }

  private beginLiveness(): LivenessGoal {
    this.phase = 'liveness';
    this.faults.stop();
    this.network.heal(this.options.calmNetwork);
    this.trace.log('liveness phase: network healed, faults stopped, every node restarted');
    for (const node of this.liveNodes()) this.restart(node.id);
    return new LivenessGoal(this, this.client);
  }

  /** Runs events due by `endMs`; true as soon as isDone() holds after an event. */
  private runUntil(endMs: number, isDone: () => boolean): boolean {
    return this.queue.runUntil(endMs, (slot) => {
      this.nowMs = slot.timeMs;
      this.dispatch(slot.event);
      this.events++;
      this.afterEvent();
    }, isDone);
  }

  private dispatch(event: SimEvent): void {
    if (this.deferIfPaused(event)) return;
    switch (event.kind) {
      case 'tick':
        return this.tick(event.node);
      case 'deliver':
        return this.deliver(event.message);
      case 'write':
        return this.nodes.get(event.node)?.completeWrite(event.epoch);
      case 'workload':
        if (this.phase === 'faults' && this.nowMs % this.options.idleEveryMs >= this.options.idleForMs) this.workload.step();
        this.client.expire(this.nowMs); // Also while healing: stuck proposals must not hold the client bound.
        return this.queue.push(this.nowMs + this.options.workloadStepMs, event);
      case 'faults':
        if (this.phase !== 'faults') return;
        this.faults.step();
        return this.queue.push(this.nowMs + this.options.faultStepMs, event);
      case 'action':
        this.trace.log(event.label);
        return event.run();
    }
  }

  /**
   * A paused node's input waits until it resumes. Its ticks are counted and, unless the run models
   * a runtime that drops them (setInterval after a stall), replayed first on resume: a runtime
   * must tick by elapsed time or leases outlive a pause.
   */
  private deferIfPaused(event: SimEvent): boolean {
    const id = event.kind === 'deliver' ? event.message.to : event.kind === 'tick' || event.kind === 'write' ? event.node : undefined;
    const node = id === undefined ? undefined : this.nodes.get(id);
    const tickMs = node === undefined ? 0 : this.tickIntervalsMs.get(node.id) ?? this.options.tickMs;
    return deferWhilePaused(this.queue, event, node, event.kind === 'tick', this.nowMs, tickMs);
  }

  private resume(node: SimNode): void {
    if (node.pausedUntilMs > this.nowMs) return; // Paused again for longer: a later resume runs.
    const missed = node.ticksMissed;
    node.ticksMissed = 0;
    if (this.options.faults.pauseDropsTicks || node.isDecommissioned) return;
    for (let i = 0; i < missed; i++) node.tick();
  }

  private tick(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || node.isDecommissioned) return;
    this.wakeIfLeaderUnreachable(node);
    node.tick();
    this.queue.push(this.nowMs + (this.tickIntervalsMs.get(id) ?? this.options.tickMs), { kind: 'tick', node: id });
  }

  /**
   * Models the runtime's signal for quiesced groups: the transport lost its connection to the
   * leader's node (down, or the link cut). The real one lags; this one is exact at each tick.
   */
  private wakeIfLeaderUnreachable(node: SimNode): void {
    const leader = node.quiescedUnder();
    if (leader === null) return;
    const leaderNode = this.nodes.get(leader);
    const reachable = leaderNode !== undefined && leaderNode.isUp && !this.network.isCut(leader, node.id, this.nowMs);
    if (reachable) return;
    this.quiescedWakes++;
    node.unquiesce();
  }

  private deliver(message: RaftMessage): void {
    this.network.arrived();
    const node = this.nodes.get(message.to);
    if (node === undefined || !node.isUp || this.network.isCut(message.from, message.to, this.nowMs)) return;
    if (message.type === 'heartbeat' && message.quiesce) this.quiesceHeartbeats++;
    if (this.trace.isVerbose) this.trace.log(`deliver ${describeMessage(message)}`);
    node.receive(message);
  }

  private send(message: RaftMessage): void {
    for (const atMs of this.network.route(message.from, message.to, this.nowMs)) {
      this.queue.push(atMs, { kind: 'deliver', message });
    }
  }

  private afterEvent(): void {
    const observed: ObservedNode[] = [];
    for (const node of this.nodes.values()) {
      const status = node.status();
      if (status !== undefined) observed.push({ id: node.id, status, readiesTaken: node.readiesTaken });
    }
    this.commitQuorum.check(observed, {
      durableLog: (id) => this.nodes.get(id)?.disk.store,
      termAt: (id, index) => this.nodes.get(id)?.raft().log.term(index),
    });
    for (const elected of this.checkers.afterEvent(observed)) {
      const { term, lastIndex, commit } = elected.status;
      this.trace.log(`n${elected.id} leads term ${term} (last index ${lastIndex}, commit ${commit})`);
      if (this.phase === 'faults') this.faults.leaderElected(elected.id);
    }
  }

  // ---- Wiring -----------------------------------------------------------------------------------

  private nodeEnv(): NodeEnv {
    return {
      tuning: this.options.tuning,
      diskDelayMaxMs: this.options.diskDelayMaxMs,
      compactEveryEntries: this.options.compactEveryEntries,
      createNode: this.setup.createNode,
      listener: this.listener(),
      logger: (id) => this.trace.coreLogger(id),
      nowMs: () => this.nowMs,
      send: (message) => this.send(message),
      scheduleWrite: (node, epoch, delayMs) => this.queue.push(this.nowMs + delayMs, { kind: 'write', node, epoch }),
    };
  }

  private listener(): NodeListener {
    const { checkers, client, trace } = this;
    return {
      readyTaken: (node, ready, store) => {
        if (trace.isVerbose && ready.entriesToPersist.length > 0) {
          trace.log(`n${node} persists ${ready.entriesToPersist.map((e) => `${e.index}/t${e.term}`).join(',')}`);
        }
        checkers.readyTaken(node, ready, store);
      },
      persisted: (node, write, store) => checkers.persisted(node, write, store),
      snapshotInstalled: (node, machine) => {
        this.snapshotsInstalled++;
        trace.log(`n${node} installed snapshot at ${machine.applied}`);
        checkers.snapshotInstalled(node, machine);
        client.skippedTo(node, machine.applied);
      },
      applied: (node, entry, machine) => {
        if (trace.isVerbose) trace.log(`n${node} applies ${entry.index}/t${entry.term} ${entry.type === 'confChange' ? 'conf change' : describeData(entry.data)}`);
        checkers.applied(node, entry, machine);
        client.applied(node, entry);
      },
      readServed: (node, requestId, applied) => {
        if (checkers.readServed(node, requestId, applied)) client.readServed(node, requestId, applied);
      },
      readsDropped: (_node, requestIds) => client.readsDropped(requestIds),
      crashed: (node) => {
        trace.log(`n${node} is down`);
        checkers.crashed(node);
        client.crashed(node);
      },
    };
  }

  private stats(): Record<string, number> {
    const { client, network, faults, checkers } = this;
    // Every count here is a plain number, so runs can be summed and compared across seeds.
    return {
      ...client.stats,
      messagesSent: network.stats.sent,
      messagesDropped: network.stats.dropped,
      messagesDuplicated: network.stats.duplicated,
      crashes: faults.crashes,
      cuts: faults.cuts,
      pauses: faults.pauses,
      termsLed: checkers.elections.termsLed,
      entriesApplied: checkers.stateMachines.appliedCount,
      entriesCommitted: checkers.committed.entryCount,
      leaderChecks: checkers.completeness.checks,
      snapshotsInstalled: this.snapshotsInstalled,
      confChangesAcked: this.workload.membership.changesAcked,
      transfersStarted: this.workload.transfersStarted,
      quiesceHeartbeats: this.quiesceHeartbeats,
      quiescedWakesOnLostLeader: this.quiescedWakes,
    };
  }
}

function toViolation(error: unknown, atMs: number): Violation {
  if (error instanceof SafetyViolation) return { checker: error.checker, message: error.message, atMs };
  if (error instanceof Error) {
    const where = error.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ') ?? '';
    return { checker: 'exception', message: `${error.name}: ${error.message} at ${where}`, atMs };
  }
  return { checker: 'exception', message: String(error), atMs };
}
