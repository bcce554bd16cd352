/**
 * Goal: drive one RaftNode the way the runtime's group driver does, over a disk that takes time
 * and can lose a write. Method: take a Ready only when no write is in flight; send its early
 * messages at once; persist it after a random delay (a crash first drops it); then send the rest,
 * install a finished snapshot, apply, serve reads and advance, in the order src/raft/ready.ts
 * prescribes. A restart builds a new RaftNode from what the disk holds. Every step is reported
 * to a listener (checkers and clients).
 */
import { assert } from '../../src/shared/assert.js';
import type { LogIndex, NodeId } from '../../src/shared/ids.js';
import type { SeededRng } from '../../src/shared/rng.js';
import type { InitialState } from '../../src/raft/bootstrap.js';
import type { LogReader } from '../../src/raft/log-reader.js';
import type { CoreLogger } from '../../src/raft/logger.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import type { Ready } from '../../src/raft/ready.js';
import type { LogEntry, ReadState } from '../../src/raft/types.js';
import { SafetyViolation } from './checkers/violation.js';
import type { NodeFactory, RaftNode, RaftStatus } from './core.js';
import { SimDisk, type PersistOutcome, type ReceivedSnapshot, type ReplicatedMachine } from './disk.js';
import type { KvStateMachine } from './kv-state-machine.js';
import { between } from './random.js';
import type { CoreTuning } from './swarm.js';

/** Readies taken in one drive() call; more means the core never settles. */
const READIES_PER_DRIVE_MAX = 1_000;

export interface WriteDone {
  readonly ready: Ready;
  /** Sequence number of the Ready among those this node took (across restarts). */
  readonly seq: number;
  readonly outcome: PersistOutcome;
}

export interface NodeListener<M extends ReplicatedMachine = KvStateMachine> {
  readyTaken(node: NodeId, ready: Ready, store: LogReader): void;
  persisted(node: NodeId, write: WriteDone, store: LogReader): void;
  snapshotInstalled(node: NodeId, machine: M): void;
  applied(node: NodeId, entry: LogEntry, machine: M): void;
  readServed(node: NodeId, requestId: string, applied: LogIndex): void;
  readsDropped(node: NodeId, requestIds: readonly string[]): void;
  crashed(node: NodeId): void;
}

export interface NodeEnv<M extends ReplicatedMachine = KvStateMachine> {
  readonly tuning: CoreTuning;
  readonly diskDelayMaxMs: number;
  readonly compactEveryEntries: number;
  readonly createNode: NodeFactory;
  /** RaftConfig.voteFloor for the core built at each start (a multi-group replica created again after GC). */
  readonly voteFloor?: () => number;
  readonly listener: NodeListener<M>;
  logger(node: NodeId): CoreLogger;
  nowMs(): number;
  send(message: RaftMessage): void;
  scheduleWrite(node: NodeId, epoch: number, delayMs: number): void;
}

export class SimNode<M extends ReplicatedMachine = KvStateMachine> {
  readonly disk: SimDisk<M>;
  private core: RaftNode | null = null;
  /** Bumped by a crash so that a write completing afterwards is recognised as lost. */
  private epoch = 0;
  private writing: { readonly ready: Ready; readonly seq: number } | null = null;
  private waitingReads: ReadState[] = [];
  readiesTaken = 0;
  isDecommissioned = false;
  /** A paused process runs nothing until then; its input waits (see Cluster.deferIfPaused). */
  pausedUntilMs = 0;
  ticksMissed = 0;

  constructor(
    readonly id: NodeId,
    initial: InitialState,
    private readonly rng: SeededRng,
    private readonly env: NodeEnv<M>,
    /** A disk prepared by the caller (a multi-group replica with its own state machine). */
    disk?: SimDisk<M>,
  ) {
    this.disk = disk ?? new SimDisk<M>(initial);
  }

  get isUp(): boolean {
    return this.core !== null;
  }

  /** Up and not paused: a client request reaches it. */
  get isServing(): boolean {
    return this.core !== null && this.pausedUntilMs <= this.env.nowMs();
  }

  /** The running core, for client calls; the caller checked isUp. */
  raft(): RaftNode {
    assert(this.core !== null, `Node ${this.id} is down`);
    return this.core;
  }

  status(): RaftStatus | undefined {
    return this.core?.status();
  }

  start(): void {
    assert(this.core === null && !this.isDecommissioned, `Node ${this.id} cannot start`);
    const machine = this.disk.machine;
    this.core = this.env.createNode({
      ...this.env.tuning,
      id: this.id,
      storage: this.disk.store,
      applied: machine.applied,
      confState: machine.conf,
      ...(this.env.voteFloor === undefined ? {} : { voteFloor: this.env.voteFloor() }),
      rng: this.rng.fork(),
      logger: this.env.logger(this.id),
    });
    this.drive();
  }

  crash(): void {
    if (this.core === null) return;
    this.core = null;
    this.disk.loseUnsynced();
    this.epoch++;
    this.writing = null;
    this.waitingReads = [];
    this.env.listener.crashed(this.id);
  }

  decommission(): void {
    this.crash();
    this.isDecommissioned = true;
  }

  /** The leader this node is quiesced under, if it is a quiesced follower. */
  quiescedUnder(): NodeId | null {
    const core = this.core;
    if (core === null || !core.isQuiesced()) return null;
    const { role, leader } = core.status();
    return role === 'leader' ? null : leader;
  }

  /** The runtime's lost-contact signal (src/runtime/node-host.ts does this from the transport). */
  unquiesce(): void {
    this.core?.unquiesce();
  }

  tick(): void {
    this.core?.tick();
    this.drive();
  }

  receive(message: RaftMessage): void {
    this.core?.step(message);
    this.drive();
  }

  /** Takes Readies until one needs the disk (or none is left). */
  drive(): void {
    for (let round = 0; round < READIES_PER_DRIVE_MAX; round++) {
      const core = this.core;
      if (core === null || this.writing !== null || !core.hasReady()) return;
      const ready = core.takeReady();
      if (ready === undefined) return;
      const seq = ++this.readiesTaken;
      this.env.listener.readyTaken(this.id, ready, this.disk.store);
      // As the runtime does: out before the disk delay starts, so a crash can lose the write after
      // followers already got them (the case src/raft/send-order.ts argues is safe).
      for (const message of ready.earlyMessages) this.env.send(message);
      if (needsWrite(ready)) {
        this.writing = { ready, seq };
        this.env.scheduleWrite(this.id, this.epoch, between(this.rng, 0, this.env.diskDelayMaxMs));
        return;
      }
      this.finish(core, ready, undefined);
    }
    throw new SafetyViolation('liveness', `Node ${this.id} produced ${READIES_PER_DRIVE_MAX} Readies without settling`);
  }

  /** The disk finished the write started in `epoch` (ignored if the node crashed since). */
  completeWrite(epoch: number): void {
    const core = this.core;
    const writing = this.writing;
    if (epoch !== this.epoch || core === null || writing === null) return;
    const outcome = this.disk.persist(writing.ready);
    this.env.listener.persisted(this.id, { ...writing, outcome }, this.disk.store);
    this.writing = null;
    this.finish(core, writing.ready, outcome.snapshot);
    this.drive();
  }

  private finish(core: RaftNode, ready: Ready, snapshot: ReceivedSnapshot | undefined): void {
    for (const message of ready.messages) this.env.send(message);
    if (snapshot !== undefined) this.installSnapshot(snapshot);
    for (const entry of ready.entriesToApply) this.apply(entry);
    this.waitingReads.push(...ready.readStates);
    this.serveReads();
    // Refused at the leader's bound (OVERLOADED) fails the read for the client just the same.
    const failed = [...ready.readsDropped, ...ready.readsRefused];
    if (failed.length > 0) this.env.listener.readsDropped(this.id, failed);
    core.advance(ready);
    this.checkMembership(core);
    this.disk.compactIfDue(this.env.compactEveryEntries);
  }

  /**
   * The core's membership is the one its applied log defines: once the core and the state
   * machine have applied the same index, and no received snapshot is still ahead of it
   * (confIndex), their memberships are equal (seed 5350 broke this: an older change replayed
   * over a snapshot's membership).
   */
  private checkMembership(core: RaftNode): void {
    const machine = this.disk.machine;
    if (core.log.applied !== machine.applied || core.confIndex > machine.applied) return;
    const mine = JSON.stringify(core.conf);
    const applied = JSON.stringify(machine.conf);
    if (mine !== applied) {
      throw new SafetyViolation('membership', `Node ${this.id} runs with membership ${mine} at applied index ${machine.applied}, its log defines ${applied}`);
    }
  }

  private installSnapshot(snapshot: ReceivedSnapshot): void {
    const machine = this.disk.machine;
    if (snapshot.meta.index < machine.applied) {
      throw new SafetyViolation('state-machine-safety', `Node ${this.id} installed snapshot ${snapshot.meta.index} behind its applied index ${machine.applied}`);
    }
    machine.restore(snapshot.meta, snapshot.data);
    this.env.listener.snapshotInstalled(this.id, machine);
  }

  private apply(entry: LogEntry): void {
    const machine = this.disk.machine;
    if (entry.index !== machine.applied + 1) {
      throw new SafetyViolation('state-machine-safety', `Node ${this.id} was handed entry ${entry.index} to apply after ${machine.applied}`);
    }
    machine.apply(entry);
    this.env.listener.applied(this.id, entry, machine);
  }

  /** A read the core answered at once (a lease read): serve it once applied >= index. */
  awaitRead(requestId: string, index: LogIndex): void {
    this.waitingReads.push({ requestId, index });
    this.serveReads();
  }

  private serveReads(): void {
    if (this.waitingReads.length === 0) return;
    const applied = this.disk.machine.applied;
    const still: ReadState[] = [];
    for (const read of this.waitingReads) {
      if (read.index <= applied) this.env.listener.readServed(this.id, read.requestId, applied);
      else still.push(read);
    }
    this.waitingReads = still;
  }
}

function needsWrite(ready: Ready): boolean {
  return ready.hardState !== undefined || ready.entriesToPersist.length > 0 || ready.snapshotChunk !== undefined;
}
