/**
 * Goal: the fault schedule of one run. Method: every fault step draws each fault with its per-seed
 * probability: crash a node (restarted after a random downtime; a crash loses its unsynced write),
 * cut the network (one node off; two groups; two groups joined only through a bridge node; one-way
 * cuts) or clog one link with a long delay. The figure-8 hook reacts to each new leader: cut it off
 * or crash it a few milliseconds after it starts appending, so terms pile up with divergent
 * uncommitted suffixes, which is where commit and election rules matter (thesis Figure 3.7).
 */
import type { NodeId } from '../../src/shared/ids.js';
import type { Rng } from '../../src/shared/rng.js';
import type { Network } from './network.js';
import { between, chance, pick, shuffled } from './random.js';
import type { SimNode } from './sim-node.js';
import type { FaultRates } from './swarm.js';
import type { Trace } from './trace.js';

/** A process the injector can crash, pause or cut off (a SimNode, or a multi-group node). */
export interface FaultTarget {
  readonly id: NodeId;
  readonly isUp: boolean;
}

/** The part of ClusterView faults act through; a multi-group cluster provides it too. */
export interface FaultView<N extends FaultTarget> {
  readonly nowMs: number;
  liveNodes(): N[];
  node(id: NodeId): N | undefined;
  /** A node to isolate as "the leader" (in a multi-group cluster: some group's leader). */
  leader(): N | undefined;
  crash(id: NodeId): void;
  pause(id: NodeId, untilMs: number): void;
  restart(id: NodeId): void;
  later(delayMs: number, label: string, run: () => void): void;
}

/** The figure-8 hook's writes to a new leader (Workload.put). */
export interface LeaderWrites<N> {
  put(node: N | undefined): unknown;
}

export class FaultInjector<N extends FaultTarget = SimNode> {
  crashes = 0;
  cuts = 0;
  pauses = 0;
  private isStopped = false;

  constructor(
    private readonly rng: Rng,
    private readonly rates: FaultRates,
    private readonly view: FaultView<N>,
    private readonly network: Network,
    private readonly workload: LeaderWrites<N>,
    private readonly trace: Trace,
  ) {}

  /** The liveness phase begins: faults already scheduled do nothing. */
  stop(): void {
    this.isStopped = true;
  }

  step(): void {
    if (chance(this.rng, this.rates.crash)) this.crashSomeone();
    if (chance(this.rng, this.rates.partition)) this.partition();
    if (chance(this.rng, this.rates.clog)) this.clog();
    if (chance(this.rng, this.rates.isolateLeader)) this.isolateLeader();
    if (chance(this.rng, this.rates.pause)) this.pauseSomeone();
  }

  /** Figure 8: a new leader gets a few writes, then is cut off or crashed soon after. */
  leaderElected(id: NodeId): void {
    const isolate = chance(this.rng, this.rates.isolateNewLeader);
    const crash = !isolate && chance(this.rng, this.rates.crashNewLeader);
    if (!isolate && !crash) return;
    const writes = between(this.rng, 0, 3);
    for (let i = 0; i < writes; i++) this.workload.put(this.view.node(id));
    // Cut at any point of its first replication rounds: before, between or after follower acks.
    const delayMs = between(this.rng, 0, pick(this.rng, [5, 30, 120]));
    if (isolate) {
      const untilMs = this.view.nowMs + delayMs + between(this.rng, 50, 600);
      this.later(delayMs, `fault: cut new leader n${id} off`, () => this.cutOff(id, untilMs));
    } else {
      this.later(delayMs, `fault: crash new leader n${id}`, () => this.crash(id));
    }
  }

  private later(delayMs: number, label: string, run: () => void): void {
    this.view.later(delayMs, label, () => {
      if (!this.isStopped) run();
    });
  }

  private crashSomeone(): void {
    const live = this.view.liveNodes();
    const down = live.filter((n) => !n.isUp).length;
    const up = live.filter((n) => n.isUp);
    if (up.length === 0 || down >= this.rates.nodesDownMax) return;
    this.crash(pick(this.rng, up).id);
  }

  private crash(id: NodeId): void {
    const node = this.view.node(id);
    if (node === undefined || !node.isUp) return;
    const down = this.view.liveNodes().filter((n) => !n.isUp).length;
    if (down >= this.rates.nodesDownMax) return;
    this.crashes++;
    this.trace.log(`fault: crash n${id}`);
    this.view.crash(id);
    this.later(between(this.rng, 20, this.rates.downtimeMaxMs), `fault: restart n${id}`, () => this.view.restart(id));
  }

  private pauseSomeone(): void {
    const up = this.view.liveNodes().filter((n) => n.isUp);
    if (up.length === 0) return;
    const id = pick(this.rng, up).id;
    const untilMs = this.view.nowMs + between(this.rng, 10, this.rates.pauseMaxMs);
    this.pauses++;
    this.trace.log(`fault: pause n${id} until ${untilMs}ms`);
    this.view.pause(id, untilMs);
  }

  private isolateLeader(): void {
    const leader = this.view.leader();
    if (leader === undefined) return;
    const untilMs = this.view.nowMs + between(this.rng, 100, Math.max(100, this.rates.partitionMaxMs));
    this.trace.log(`fault: cut leader n${leader.id} off until ${untilMs}ms`);
    this.cutOff(leader.id, untilMs);
  }

  private cutOff(id: NodeId, untilMs: number): void {
    const others = this.view.liveNodes().map((n) => n.id).filter((x) => x !== id);
    this.network.cut([id], others, false, untilMs);
    this.cuts++;
  }

  private partition(): void {
    const ids = shuffled(this.rng, this.view.liveNodes().map((n) => n.id));
    const untilMs = this.view.nowMs + between(this.rng, 50, this.rates.partitionMaxMs);
    const kind = pick(this.rng, ['isolate', 'split', 'bridge', 'oneWay'] as const);
    const size = between(this.rng, 1, Math.max(1, Math.floor(ids.length / 2)));
    const bridge = kind === 'bridge' ? ids.shift() : undefined;
    const groupA = kind === 'isolate' ? ids.slice(0, 1) : ids.slice(0, size);
    const groupB = ids.filter((id) => !groupA.includes(id));
    this.network.cut(groupA, groupB, kind === 'oneWay', untilMs);
    this.cuts++;
    const bridgeText = bridge === undefined ? '' : ` bridged by n${bridge}`;
    this.trace.log(`fault: ${kind} cut {${groupA.join(',')}} ${kind === 'oneWay' ? '->' : '|'} {${groupB.join(',')}}${bridgeText} until ${untilMs}ms`);
  }

  private clog(): void {
    const ids = this.view.liveNodes().map((n) => n.id);
    if (ids.length < 2) return;
    const [from, to] = shuffled(this.rng, ids);
    if (from === undefined || to === undefined) return;
    const extraMs = between(this.rng, 50, 500);
    const untilMs = this.view.nowMs + between(this.rng, 100, 1_500);
    this.network.clog(from, to, extraMs, untilMs);
    this.trace.log(`fault: clog n${from}->n${to} +${extraMs}ms until ${untilMs}ms`);
  }
}
