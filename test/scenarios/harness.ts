/**
 * A synchronous in-memory cluster for scenario tests: every node is a real RaftNode over a
 * MemoryLogStore, messages wait in one FIFO until `deliver`/`stabilize` hands them over, and
 * what nodes log is captured so scenario files can show it. Deterministic: each node's Rng is
 * seeded with its id.
 */
import { RaftNode } from '../../src/raft/node.js';
import { defaultTuning, type RaftConfig } from '../../src/raft/config.js';
import { applyConfChange, decodeConfChange } from '../../src/raft/conf-change.js';
import type { CoreLogger, LogFields } from '../../src/raft/logger.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import type { Ready } from '../../src/raft/ready.js';
import type { ConfState, LogEntry } from '../../src/raft/types.js';
import type { InitialState } from '../../src/raft/bootstrap.js';
import { MemoryLogStore } from '../../src/storage/memory-log-store.js';
import { SeededRng } from '../../src/shared/rng.js';
import { logIndex, nodeId, type NodeId } from '../../src/shared/ids.js';

export interface HarnessOptions {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly leaseReads: boolean;
  readonly quiesce: boolean;
  readonly snapshotChunkBytesMax: number;
  readonly pendingReadsMax: number;
}

/** What one node's state machine holds: applied commands and the membership they imply. */
export interface HarnessMachine {
  applied: LogEntry[];
  conf: ConfState;
  appliedIndex: number;
}

interface HarnessNode {
  core: RaftNode;
  store: MemoryLogStore;
  machine: HarnessMachine;
  up: boolean;
}

export class Harness {
  readonly nodes = new Map<NodeId, HarnessNode>();
  readonly output: string[] = [];
  private queue: RaftMessage[] = [];
  /** Pairs "a->b" whose messages are dropped. */
  private cut = new Set<string>();
  /** Pairs "a->b" whose messages wait, in order, until released (a slow link, not a lossy one). */
  private held = new Set<string>();

  constructor(private readonly options: HarnessOptions) {}

  addNode(id: NodeId, initial: InitialState): void {
    const store = new MemoryLogStore(initial);
    const machine: HarnessMachine = { applied: [], conf: initial.snapshot.conf, appliedIndex: initial.snapshot.index };
    this.nodes.set(id, { core: this.makeCore(id, store, machine), store, machine, up: true });
  }

  private makeCore(id: NodeId, store: MemoryLogStore, machine: HarnessMachine): RaftNode {
    const config: RaftConfig = {
      ...defaultTuning,
      id,
      storage: store,
      applied: logIndex(machine.appliedIndex),
      confState: machine.conf,
      electionTicks: this.options.electionTicks,
      heartbeatTicks: this.options.heartbeatTicks,
      preVote: this.options.preVote,
      checkQuorum: this.options.checkQuorum,
      leaseReads: this.options.leaseReads,
      quiesce: this.options.quiesce,
      snapshotChunkBytesMax: this.options.snapshotChunkBytesMax,
      pendingReadsMax: this.options.pendingReadsMax,
      rng: new SeededRng(id),
      logger: this.loggerFor(id),
    };
    return new RaftNode(config);
  }

  private loggerFor(id: NodeId): CoreLogger {
    const line = (level: string) => (fields: LogFields, message: string) => {
      this.output.push(`${level} n${id} ${message}${formatFields(fields)}`);
    };
    return { debug: () => undefined, info: line('INFO'), warn: line('WARN') };
  }

  node(id: NodeId): HarnessNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`No node n${id}`);
    return node;
  }

  /** Drains every node's Ready once: persist, queue messages, apply, advance. */
  processReadies(): boolean {
    let progressed = false;
    for (const [id, node] of this.nodes) {
      if (!node.up) continue;
      const ready = node.core.takeReady();
      if (ready === undefined) continue;
      progressed = true;
      this.persistAndApply(id, node, ready);
      node.core.advance(ready);
    }
    return progressed;
  }

  private persistAndApply(id: NodeId, node: HarnessNode, ready: Ready): void {
    if (ready.hardState) node.store.setHardState(ready.hardState);
    node.store.append(ready.entriesToPersist);
    const chunk = ready.snapshotChunk;
    if (chunk?.done === true) {
      node.store.installSnapshot(chunk.meta, new Uint8Array(0));
      node.machine.conf = chunk.meta.conf;
      node.machine.appliedIndex = chunk.meta.index;
      this.output.push(`n${id} installed snapshot at ${chunk.meta.index}`);
    }
    this.queue.push(...ready.earlyMessages, ...ready.messages);
    for (const entry of ready.entriesToApply) {
      node.machine.applied.push(entry);
      node.machine.appliedIndex = entry.index;
      if (entry.type === 'confChange') node.machine.conf = applyConfChange(node.machine.conf, decodeConfChange(entry.data));
    }
    for (const read of ready.readStates) this.output.push(`n${id} read ${read.requestId} at index ${read.index}`);
    for (const read of ready.readsDropped) this.output.push(`n${id} read ${read} dropped`);
    for (const read of ready.readsRefused) this.output.push(`n${id} read ${read} refused: leader overloaded`);
  }

  /** Delivers queued messages (one pass); returns how many were delivered. */
  deliver(): number {
    const batch = this.queue;
    this.queue = [];
    let delivered = 0;
    for (const m of batch) {
      const to = this.nodes.get(m.to);
      if (this.held.has(`${m.from}->${m.to}`)) {
        this.queue.push(m);
        continue;
      }
      if (to === undefined || !to.up || this.cut.has(`${m.from}->${m.to}`)) continue;
      to.core.step(m);
      delivered++;
    }
    return delivered;
  }

  /** Until nothing moves: readies, then messages. Bounded so a livelock fails loudly. */
  stabilize(): void {
    for (let round = 0; round < 1000; round++) {
      const progressed = this.processReadies();
      if (this.deliver() === 0 && !progressed) return;
    }
    throw new Error('stabilize() did not settle within 1000 rounds');
  }

  tick(id: NodeId, count: number): void {
    for (let i = 0; i < count; i++) {
      this.node(id).core.tick();
      this.stabilize();
    }
  }

  partition(groups: NodeId[][]): void {
    this.cut.clear();
    for (const a of groups) for (const b of groups) {
      if (a === b) continue;
      for (const x of a) for (const y of b) this.cut.add(`${x}->${y}`);
    }
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}->${to}`);
  }

  heal(): void {
    this.cut.clear();
  }

  holdOneWay(from: NodeId, to: NodeId): void {
    this.held.add(`${from}->${to}`);
  }

  /** Lets held messages go; the next stabilize delivers them in the order they were sent. */
  release(): void {
    this.held.clear();
  }

  crash(id: NodeId): void {
    this.node(id).up = false;
  }

  restart(id: NodeId): void {
    const node = this.node(id);
    node.core = this.makeCore(id, node.store, node.machine);
    node.up = true;
  }

  /** Compacts a node's log at its applied index (snapshot data is empty: nothing but metadata). */
  compact(id: NodeId): void {
    const node = this.node(id);
    const index = logIndex(node.machine.appliedIndex);
    const term = node.store.term(index);
    if (term === undefined) throw new Error(`n${id} has no term for ${index}`);
    node.store.compact({ index, term, conf: node.machine.conf }, new Uint8Array(64));
  }
}

export function formatFields(fields: LogFields): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`);
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

export function parseNode(text: string): NodeId {
  const match = /^n(\d+)$/.exec(text);
  if (match?.[1] === undefined) throw new Error(`Not a node name: "${text}"`);
  return nodeId(Number(match[1]));
}
