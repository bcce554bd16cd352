// Goal: carry out a NemesisSchedule against a live cluster and log what was actually done.
// Method: events run at their times, each lane (network, process, cluster) in order on its own.
// Each start resolves the role 'leader' through `leaderOf()` at that moment (the leader changes
// all the time) and remembers the node it picked, so the matching stop undoes exactly that (resume
// the node it paused, not the current leader). The cluster itself is reached only through hooks,
// so this file knows nothing about the server binary and is tested with fakes. A failed step is
// logged and the run goes on to the final heal; the failures are thrown together at the end,
// because a fault that did not apply makes the run's history mean something else and must not
// pass unnoticed. Shard faults (move, split) are carried out by optional hooks: they change the
// shard map for good, so their stop has nothing to undo; a cluster (or server) without them makes
// the step fail, logged like any other failed step, and the run goes on.
import type { NodeId } from '../../../src/shared/ids.js';
import { SeededRng, type Rng } from '../../../src/shared/rng.js';
import { bridgeLinks, majorityRingLinks, type DirectedLink, type Peer } from '../net/links.js';
import { laneOfFault, type Fault, type Lane, type NemesisEvent, type NemesisSchedule, type NodeTarget } from './schedule.js';

/** What NetworkNemesis (net/partition.ts) offers; an interface so fakes and the proxy mesh fit. */
export interface NetworkFaults {
  isolate(nodes: readonly Peer[], from: readonly Peer[]): Promise<void>;
  partition(groups: readonly (readonly Peer[])[]): Promise<void>;
  blockLinks(links: readonly DirectedLink[]): Promise<void>;
  blockOneWay(from: Peer, to: Peer): Promise<void>;
  heal(): Promise<void>;
}

export interface NemesisHooks {
  readonly network: NetworkFaults;
  /** The node the cluster currently follows, or undefined while there is none. */
  leaderOf(): Promise<NodeId | undefined>;
  /**
   * Which leader a leader-aware fault hits, when "the leader" needs choosing (a sharded cluster
   * has one per group); `detail` says whose leader it is. Falls back to leaderOf() when absent.
   */
  leaderTarget?(): Promise<{ readonly node: NodeId; readonly detail: string } | undefined>;
  /** ReplicaMove of the candidate numbered `choice` (see schedule.ts); resolves to what was done. */
  moveReplica?(choice: number): Promise<string>;
  /** Split of the group numbered `choice`; resolves to what was done. */
  splitGroup?(choice: number): Promise<string>;
  crash(node: NodeId): Promise<void>;
  restart(node: NodeId): Promise<void>;
  /** Corrupts the stopped node's database as byte-flip's `choice` says; resolves to what was done. */
  flipBytes?(node: NodeId, choice: number): Promise<string>;
  /** Restarts a node whose data was corrupted, rebuilding it if needed; resolves to what was done. */
  restartCorrupted?(node: NodeId): Promise<string>;
  pause(node: NodeId): Promise<void>;
  resume(node: NodeId): Promise<void>;
  removeMember(node: NodeId): Promise<void>;
  addMember(node: NodeId): Promise<void>;
  transferLeader(to: NodeId): Promise<void>;
  /**
   * Sends node `to` one batch of forged peer messages as member `as`, built from `seed`
   * (forge.ts); resolves to what kind it sent.
   */
  forge?(to: NodeId, as: NodeId, seed: number): Promise<string>;
}

export interface NemesisLogEntry {
  readonly timeNs: bigint;
  readonly at: number;
  readonly id: number;
  readonly action: 'start' | 'stop';
  readonly kind: Fault['kind'];
  readonly node?: NodeId;
  /** 'skipped: no leader', or the error message of a failed step. */
  readonly note?: string;
  /** What an applied step did where the node does not say it all: whose leader, which group moved. */
  readonly detail?: string;
}

export interface NemesisRunnerOptions {
  readonly nodes: readonly NodeId[];
  readonly hooks: NemesisHooks;
  /** Picks transfer-storm targets; fork it from the run's generator. */
  readonly rng?: Rng;
  readonly now?: () => bigint;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Active {
  readonly fault: Fault;
  readonly node?: NodeId;
  readonly detail?: string;
  /** Ends a background loop (transfer-storm, forge) and waits for it. */
  readonly stopStorm?: () => Promise<void>;
}

/** What a step did: the node it hit, and for shard faults and chosen leaders, the details. */
interface Done {
  readonly node?: NodeId;
  readonly detail?: string;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class NemesisRunner {
  private readonly active = new Map<number, Active>();
  private readonly entries: NemesisLogEntry[] = [];
  private readonly hooks: NemesisHooks;
  private readonly rng: Rng;
  private readonly now: () => bigint;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: NemesisRunnerOptions) {
    this.hooks = options.hooks;
    this.rng = options.rng ?? new SeededRng(1);
    this.now = options.now ?? (() => process.hrtime.bigint());
    this.sleep = options.sleep ?? realSleep;
  }

  get log(): readonly NemesisLogEntry[] {
    return this.entries;
  }

  /**
   * Runs every event at its time (relative to the call); throws the failures after the last. Each
   * lane runs on its own, in order: a slow step (a membership change waiting for a quorum) must
   * not hold back another lane's step, least of all the one that would restore the quorum (a
   * resume). The final heal runs once every lane is done.
   */
  async run(schedule: NemesisSchedule): Promise<void> {
    const startNs = this.now();
    const failures: unknown[] = [];
    const lanes = new Map<Lane, NemesisEvent[]>();
    const heals: NemesisEvent[] = [];
    for (const event of schedule.events) {
      if (event.fault.kind === 'heal') {
        heals.push(event);
        continue;
      }
      const lane = laneOfFault(event.fault.kind);
      lanes.set(lane, [...(lanes.get(lane) ?? []), event]);
    }
    await Promise.all([...lanes.values()].map((events) => this.runInOrder(events, startNs, failures)));
    await this.runInOrder(heals, startNs, failures);
    if (failures.length > 0) throw new AggregateError(failures, `Nemesis: ${failures.length} step(s) failed`);
  }

  private async runInOrder(events: readonly NemesisEvent[], startNs: bigint, failures: unknown[]): Promise<void> {
    for (const event of events) {
      const elapsedMs = Number(this.now() - startNs) / 1e6;
      await this.sleep(event.at - elapsedMs);
      await this.apply(event).catch((error: unknown) => failures.push(error));
    }
  }

  /** Carries out one event; logs it, with the error as note when it fails. */
  async apply(event: NemesisEvent): Promise<void> {
    try {
      const done = event.action === 'start' ? await this.start(event) : await this.stop(event);
      if (done === 'skipped') this.record(event, { note: 'skipped: no leader' });
      else this.record(event, { ...(done.node === undefined ? {} : { node: done.node }), ...(done.detail === undefined ? {} : { detail: done.detail }) });
    } catch (error) {
      this.record(event, { note: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  private record(event: NemesisEvent, extra: { node?: NodeId; note?: string; detail?: string }): void {
    const { at, id, action } = event;
    this.entries.push({ timeNs: this.now(), at, id, action, kind: event.fault.kind, ...extra });
  }

  private async leader(): Promise<Done> {
    if (this.hooks.leaderTarget === undefined) {
      const node = await this.hooks.leaderOf();
      return node === undefined ? {} : { node };
    }
    return (await this.hooks.leaderTarget()) ?? {};
  }

  private async resolve(target: NodeTarget): Promise<Done> {
    return target === 'leader' ? this.leader() : { node: target };
  }

  private async start(event: NemesisEvent): Promise<Done | 'skipped'> {
    const { fault } = event;
    const { network } = this.hooks;
    let node: NodeId | undefined;
    let detail: string | undefined;
    let stopStorm: (() => Promise<void>) | undefined;
    switch (fault.kind) {
      case 'partition-halves': await network.partition(fault.groups); break;
      case 'majority-ring': await network.blockLinks(majorityRingLinks(fault.ring)); break;
      case 'bridge': await network.blockLinks(bridgeLinks(fault.order)); break;
      case 'one-way': await network.blockOneWay(fault.from, fault.to); break;
      case 'isolate-leader':
        ({ node, detail } = await this.leader());
        if (node !== undefined) await network.isolate([node], this.options.nodes);
        break;
      case 'kill': case 'pause': case 'membership':
        ({ node, detail } = await this.resolve(fault.target));
        if (node !== undefined) await this.startOnNode(fault.kind, node);
        break;
      case 'byte-flip':
        ({ node } = await this.resolve(fault.target));
        if (node !== undefined) detail = await this.flipBytes(node, fault.choice);
        break;
      case 'transfer-storm': stopStorm = this.startStorm(fault.intervalMs); break;
      case 'forge': stopStorm = this.startForge(fault.intervalMs); break;
      case 'move': detail = await this.shardStep('moveReplica', fault.choice); break;
      case 'split': detail = await this.shardStep('splitGroup', fault.choice); break;
      case 'heal': throw new Error('Cannot start a heal: it is only ever a stop');
    }
    const skipped = node === undefined && (fault.kind === 'isolate-leader' || 'target' in fault);
    if (skipped) return 'skipped';
    const done: Done = { ...(node === undefined ? {} : { node }), ...(detail === undefined ? {} : { detail }) };
    this.active.set(event.id, { fault, ...done, ...(stopStorm ? { stopStorm } : {}) });
    return done;
  }

  private async flipBytes(node: NodeId, choice: number): Promise<string> {
    if (this.hooks.flipBytes === undefined) throw new Error('Cannot flip bytes: the cluster has no byte-flip hook');
    await this.hooks.crash(node);
    return this.hooks.flipBytes(node, choice);
  }

  private shardStep(hook: 'moveReplica' | 'splitGroup', choice: number): Promise<string> {
    const step = this.hooks[hook];
    if (step === undefined) return Promise.reject(new Error(`Cannot ${hook === 'moveReplica' ? 'move a replica' : 'split a group'}: the cluster has no shard map`));
    return step.call(this.hooks, choice);
  }

  private async startOnNode(kind: 'kill' | 'pause' | 'membership', node: NodeId): Promise<void> {
    if (kind === 'kill') await this.hooks.crash(node);
    else if (kind === 'pause') await this.hooks.pause(node);
    else await this.hooks.removeMember(node);
  }

  private async stop(event: NemesisEvent): Promise<Done> {
    if (event.fault.kind === 'heal') {
      for (const id of [...this.active.keys()].reverse()) await this.undo(id);
      await this.hooks.network.heal(); // belt and braces: also clears rules added outside the plan
      return {};
    }
    const active = this.active.get(event.id);
    const repaired = await this.undo(event.id);
    const detail = repaired === undefined ? active?.detail : `${active?.detail ?? ''}; ${repaired}`;
    return { ...(active?.node === undefined ? {} : { node: active.node }), ...(detail === undefined ? {} : { detail }) };
  }

  /** Undoes an active fault (a fault skipped at start has nothing to undo); says what a repair did. */
  private async undo(id: number): Promise<string | undefined> {
    const active = this.active.get(id);
    if (active === undefined) return undefined;
    this.active.delete(id);
    const { fault, node } = active;
    if (fault.kind === 'transfer-storm' || fault.kind === 'forge') await active.stopStorm?.();
    else if (fault.kind === 'kill' && node !== undefined) await this.hooks.restart(node);
    else if (fault.kind === 'byte-flip' && node !== undefined) return this.restartCorrupted(node);
    else if (fault.kind === 'pause' && node !== undefined) await this.hooks.resume(node);
    else if (fault.kind === 'membership' && node !== undefined) await this.hooks.addMember(node);
    else if (fault.kind === 'move' || fault.kind === 'split') return undefined; // a shard map change stays; nothing to undo
    else await this.hooks.network.heal(); // network lane: one fault at a time, so heal is exact
    return undefined;
  }

  private async restartCorrupted(node: NodeId): Promise<string> {
    if (this.hooks.restartCorrupted !== undefined) return this.hooks.restartCorrupted(node);
    await this.hooks.restart(node);
    return 'restarted';
  }

  /** Transfers leadership to a random node every intervalMs until the returned stop is awaited. */
  private startStorm(intervalMs: number): () => Promise<void> {
    return this.every(intervalMs, async () => {
      const to = this.options.nodes[this.rng.nextInt(this.options.nodes.length)];
      // A refused transfer (no leader, target behind) is normal during a storm; keep going.
      if (to !== undefined) await this.hooks.transferLeader(to).catch(() => undefined);
    });
  }

  /** Every intervalMs, one forged batch to a random node as another random member. */
  private startForge(intervalMs: number): () => Promise<void> {
    const forge = this.hooks.forge;
    if (forge === undefined) throw new Error('Cannot forge peer messages: the cluster has no forge hook');
    const { nodes } = this.options;
    return this.every(intervalMs, async () => {
      const to = nodes[this.rng.nextInt(nodes.length)];
      const others = nodes.filter((n) => n !== to);
      const as = others[this.rng.nextInt(others.length)];
      // A node that is down or paused just misses the batch.
      if (to !== undefined && as !== undefined) await forge.call(this.hooks, to, as, this.rng.nextInt(1 << 30)).catch(() => undefined);
    });
  }

  /** Runs `step` every intervalMs until the returned stop is awaited. */
  private every(intervalMs: number, step: () => Promise<void>): () => Promise<void> {
    let stopped = false;
    const loop = (async (): Promise<void> => {
      while (!stopped) {
        await this.sleep(intervalMs);
        if (stopped) break;
        await step();
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  }
}
