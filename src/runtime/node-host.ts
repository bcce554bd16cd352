/**
 * Drives every Raft group of this node. It is the only place that turns core output into I/O,
 * in the order src/raft/ready.ts demands, for all groups at once:
 *   1. take a Ready from each group that has one;
 *   2. hand their early messages (a leader's appends and heartbeats, src/raft/send-order.ts) to the
 *      transport and let one event-loop turn pass, so they reach the socket before the fsync below
 *      blocks the thread: followers write to their disks while we write to ours (thesis §10.2.1);
 *   3. persist them all in ONE SQLite transaction (group commit: one fsync per round);
 *   4. only then hand the other messages to the transport (one batch per peer per turn);
 *   5. install received snapshots (async, that group pauses), apply entries, advance.
 * Ticks come from one interval timer; peer messages and client proposals schedule a drain on the
 * next turn, so everything that arrives in one turn shares one fsync. One round is in flight at a
 * time: a drain that finds one waiting for its persist does nothing, the round schedules the next.
 */
import { assert } from '../shared/assert.js';
import { KvError } from '../shared/errors.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { Ready } from '../raft/ready.js';
import type { RaftMessage } from '../raft/messages.js';
import type { NodeStorage, PersistItem } from '../storage/node-storage.js';
import { SnapshotFileError } from '../storage/snapshot-stream.js';
import type { PeerTransport } from '../transport/peer-transport.js';
import type { GroupDriver } from './group-driver.js';
import { PendingBudget, type PendingBudgets } from './pending-budget.js';
import { checkOwnSnapshot } from './own-snapshot.js';

export interface NodeHostOptions {
  readonly nodeId: NodeId;
  readonly storage: NodeStorage;
  readonly transport: PeerTransport;
  readonly tickMs: number;
  /** Applied entries past the last snapshot before the log is compacted. */
  readonly snapshotEntries: number;
  /** Or bytes of entry data appended since the last snapshot, whichever comes first. */
  readonly snapshotLogBytes: number;
  /**
   * Most ticks counted at once after a stall, all but one as stalled time (RaftNode.tickStalled).
   * One election timeout is enough: every lease has run out by then (src/raft/replication.ts).
   */
  readonly catchUpTicksMax: number;
  /** Linearizable and lease reads waiting on this node, all groups together, before OVERLOADED. */
  readonly pendingReadsMax: number;
  /** Client writes waiting for their entry to apply on this node, all groups together, before OVERLOADED. */
  readonly pendingProposalsMax: number;
  readonly logger: Logger;
}

/** Timings the node's metrics want as they happen (src/server/metrics.ts); seconds. */
export interface HostObserver {
  persisted(seconds: number, synced: boolean): void;
  applied(seconds: number): void;
  snapshotInstalled(seconds: number): void;
  snapshotProduced(seconds: number): void;
}

const NO_OBSERVER: HostObserver = { persisted() {}, applied() {}, snapshotInstalled() {}, snapshotProduced() {} };

export class NodeHost {
  /** Per-node bounds every GroupDriver counts its waiters against (pending-budget.ts). */
  readonly pending: PendingBudgets;
  private readonly groups = new Map<GroupId, GroupDriver>();
  private observer: HostObserver = NO_OBSERVER;
  private ticker: NodeJS.Timeout | null = null;
  private drainScheduled = false;
  /** Early messages are out and the round's persist waits for the next turn. */
  private roundInFlight = false;
  private closed = false;
  private droppedUnknownGroup = 0;
  private readonly reconnectsSeen = new Map<NodeId, number>();
  private unknownGroupHandler: ((group: GroupId, message: RaftMessage) => void) | null = null;
  /** Ticks follow the monotonic clock, so a stalled process (GC, SIGSTOP) catches up on resume. */
  private startedAtMs = 0;
  private ticksDone = 0;

  constructor(private readonly options: NodeHostOptions) {
    this.pending = {
      reads: new PendingBudget('pendingReadsMax', options.pendingReadsMax),
      proposals: new PendingBudget('pendingProposalsMax', options.pendingProposalsMax),
    };
    options.transport.onMessage((group, message) => this.receive(group, message));
  }

  addGroup(driver: GroupDriver): void {
    assert(!this.groups.has(driver.group), `Group ${driver.group} added twice`);
    this.groups.set(driver.group, driver);
    this.schedule();
    const host = { storage: this.options.storage, isLive: (d: GroupDriver) => !this.closed && this.groups.get(d.group) === d };
    checkOwnSnapshot(host, driver).catch((err: unknown) => driver.logger.error({ err }, 'could not check or replace the own snapshot file'));
  }

  /** Stops hosting a group: its waiters learn their outcome is unknown; messages for it are dropped. */
  removeGroup(id: GroupId): GroupDriver | undefined {
    const driver = this.groups.get(id);
    if (driver === undefined) return undefined;
    this.groups.delete(id);
    driver.failAll();
    return driver;
  }

  setObserver(observer: HostObserver): void {
    this.observer = observer;
  }

  /** Who decides what to do with a message for a group this node does not host (yet). */
  setUnknownGroupHandler(handler: (group: GroupId, message: RaftMessage) => void): void {
    this.unknownGroupHandler = handler;
  }

  group(id: GroupId): GroupDriver | undefined {
    return this.groups.get(id);
  }

  allGroups(): IterableIterator<GroupDriver> {
    return this.groups.values();
  }

  start(): void {
    this.startedAtMs = performance.now();
    this.ticker = setInterval(() => this.catchUpTicks(), this.options.tickMs);
  }

  /**
   * Delivers the ticks the monotonic clock says are due. Called by the timer, before each peer
   * message and before a lease read, so time the process spent stopped counts against its lease
   * (src/raft/replication.ts). Only one of them is a full tick: the rest were missed while the
   * event loop was stalled and go to tickStalled(), which expires leases but is not election time,
   * so an overloaded follower does not campaign before reading the heartbeats that waited for it
   * (issue #14; see RaftNode.tickStalled).
   */
  catchUpTicks(): void {
    if (this.ticker === null) return;
    const due = Math.floor((performance.now() - this.startedAtMs) / this.options.tickMs) - this.ticksDone;
    if (due <= 0) return;
    this.ticksDone += due;
    const missed = Math.min(due, this.options.catchUpTicksMax) - 1;
    if (missed > 0) for (const driver of this.groups.values()) driver.core.tickStalled(missed);
    this.tick();
  }

  /** Runs the drain on the next turn, once, however many inputs arrive meanwhile. */
  schedule(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private tick(): void {
    this.wakeQuiescedFollowers();
    for (const driver of this.groups.values()) driver.core.tick();
    this.schedule();
  }

  /**
   * A quiesced group has no heartbeats to miss, so a dead leader is noticed here instead: when the
   * transport has no connection to the leader's node, or had to reconnect to it (it may have
   * restarted and forgotten it led), wake the follower and let its election timer run.
   */
  private wakeQuiescedFollowers(): void {
    const peers = this.options.transport.stats().peers;
    for (const driver of this.groups.values()) {
      const core = driver.core;
      if (!core.isQuiesced() || core.role === 'leader' || core.leader === null) continue;
      const peer = peers.get(core.leader);
      const seen = this.reconnectsSeen.get(core.leader);
      if (peer === undefined || !peer.connected || (seen !== undefined && peer.reconnects !== seen)) core.unquiesce();
    }
    for (const [id, peer] of peers) this.reconnectsSeen.set(id, peer.reconnects);
  }

  private receive(group: GroupId, message: RaftMessage): void {
    const driver = this.groups.get(group);
    if (message.to !== this.options.nodeId) return;
    if (driver === undefined) {
      this.droppedUnknownGroup++;
      this.unknownGroupHandler?.(group, message);
      return;
    }
    this.catchUpTicks(); // Time that passed before this message arrived is applied first.
    driver.core.step(message);
    this.schedule();
  }

  /** One round of the Ready loop for all groups (see the file comment for the order). */
  drain(): void {
    if (this.closed || this.roundInFlight) return;
    this.catchUpTicks(); // Time spent stalled counts before anything this round acts on it.
    const batch: RoundItem[] = [];
    for (const driver of this.groups.values()) {
      if (driver.installing) continue;
      const ready = driver.core.takeReady();
      if (ready !== undefined) batch.push({ driver, ready });
    }
    if (batch.length === 0) return;
    const sentEarly = this.sendAll(batch, (ready) => ready.earlyMessages);
    if (!sentEarly || !batch.some(({ ready }) => needsWrite(ready))) {
      this.finishRound(batch);
      return;
    }
    // grpc-js/http2 write to the socket from a native immediate, which runs before the JS one
    // below: the appends are on the wire before persistBatch blocks the thread on the fsync.
    this.roundInFlight = true;
    setImmediate(() => {
      this.roundInFlight = false;
      if (!this.closed) this.finishRound(batch);
    });
  }

  /** Sends the chosen messages of every Ready in the batch; true if there were any. */
  private sendAll(batch: readonly RoundItem[], pick: (ready: Ready) => readonly RaftMessage[]): boolean {
    let sent = false;
    for (const { driver, ready } of batch) {
      for (const message of pick(ready)) {
        this.options.transport.send(message.to, driver.group, message);
        sent = true;
      }
    }
    if (sent) this.options.transport.flush();
    return sent;
  }

  /** Steps 3 to 5 of the round (see the file comment). */
  private finishRound(taken: readonly RoundItem[]): void {
    // A group removed while the round waited a turn (its replica was deleted) has nothing to keep.
    const batch = taken.filter(({ driver }) => this.groups.get(driver.group) === driver);
    const persistStarted = performance.now();
    const synced = this.options.storage.persistBatch(batch.map(({ driver, ready }) => persistItem(driver.group, ready)));
    this.observer.persisted((performance.now() - persistStarted) / 1000, synced);
    this.sendAll(batch, (ready) => ready.messages);
    for (const { driver, ready } of batch) {
      if (ready.snapshotChunk?.done === true) void this.installThenApply(driver, ready);
      else this.applyGroup(driver, ready);
    }
    this.schedule(); // Applying or advancing may have produced more work (e.g. commit broadcasts).
  }

  private applyGroup(driver: GroupDriver, ready: Ready): void {
    const started = performance.now();
    driver.applyAndAdvance(ready);
    if (ready.entriesToApply.length > 0) this.observer.applied((performance.now() - started) / 1000);
    this.maybeCompact(driver);
  }

  private async installThenApply(driver: GroupDriver, ready: Ready): Promise<void> {
    driver.installing = true;
    const started = performance.now();
    try {
      await this.options.storage.installSnapshot(driver.group);
      this.observer.snapshotInstalled((performance.now() - started) / 1000);
    } catch (error) {
      if (!(error instanceof SnapshotFileError)) throw error;
      refuseSnapshot(driver, error);
      return; // Stays `installing`: nothing more is persisted or applied for it until a restart.
    }
    driver.installing = false;
    if (this.closed) return;
    this.applyGroup(driver, ready);
    this.schedule();
  }

  /** Bounds the log: snapshot the applied state in the background, then drop the log up to it. */
  private maybeCompact(driver: GroupDriver): void {
    const { kv, log } = driver.storage;
    if (driver.producing || kv.appliedIndex() <= log.snapshotMeta().index) return;
    const due = kv.appliedIndex() - log.snapshotMeta().index >= this.options.snapshotEntries || log.bytesSinceSnapshot() >= this.options.snapshotLogBytes;
    if (!due) return;
    driver.producing = true;
    const started = performance.now();
    this.options.storage.produceSnapshot(driver.group)
      .then((produced) => {
        this.observer.snapshotProduced((performance.now() - started) / 1000);
        if (this.closed || driver.installing) return;
        if (this.options.storage.compact(produced)) {
          driver.logger.info({ index: produced.meta.index, term: produced.meta.term }, 'compacted log');
        }
      })
      .catch((err: unknown) => driver.logger.error({ err }, 'snapshot for compaction failed'))
      .finally(() => {
        driver.producing = false;
      });
  }

  stats(): { groups: number; droppedUnknownGroup: number } {
    return { groups: this.groups.size, droppedUnknownGroup: this.droppedUnknownGroup };
  }

  /** Stops ticking and draining; waiters learn their outcome is unknown. Storage is closed by the owner. */
  close(): void {
    this.closed = true;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    for (const driver of this.groups.values()) driver.failAll();
  }
}

interface RoundItem {
  readonly driver: GroupDriver;
  readonly ready: Ready;
}

function needsWrite(ready: Ready): boolean {
  return ready.hardState !== undefined || ready.entriesToPersist.length > 0 || ready.snapshotChunk !== undefined;
}

function persistItem(group: GroupId, ready: Ready): PersistItem {
  return {
    group,
    entries: ready.entriesToPersist,
    ...(ready.hardState === undefined ? {} : { hardState: ready.hardState }),
    ...(ready.snapshotChunk === undefined ? {} : { snapshotChunk: ready.snapshotChunk }),
  };
}

export function shuttingDown(): KvError {
  return new KvError('NO_LEADER', 'Cannot serve the request: this node is shutting down');
}

/**
 * A snapshot a peer sent failed its checks (a file damaged at rest on the sender, or a broken
 * member): storage dropped it before touching any table. The core already took it as installed,
 * so this replica cannot go on from here without diverging: it stops persisting and applying and
 * answers CORRUPT, the node and its other groups keep running, and a restart reopens the group at
 * its state before the snapshot, after which the leader sends a snapshot again.
 */
function refuseSnapshot(driver: GroupDriver, error: SnapshotFileError): void {
  driver.logger.error({ err: error }, 'refused a received snapshot that fails its checks; restart the node to resume this group');
  driver.health = { state: 'corrupt', reason: `a received snapshot failed its checks: ${error.message}` };
}
