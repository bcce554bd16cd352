/**
 * Goal: clients of the multi-group cluster whose whole history is checked for linearizability
 * (register per key) by test/jepsen/checker. Method: each client is a sequential process with a
 * possibly stale shard map (group -> range, replicas, leader); it routes by ring position, follows
 * NOT_LEADER hints and refreshes its map on WRONG_SHARD (and now and then anyway), a few attempts
 * per operation. An operation
 * refused before it was proposed is a definite `fail`; a proposal settles when the replica it went
 * through applies its index (same term: the GroupMachine's result; another term: fail); a crash,
 * a snapshot jumping over it, the replica's destruction or the timeout make it `info`, after which
 * the client continues as a new process (Jepsen's rule). Reads use ReadIndex, or the leader lease
 * when the seed turns lease reads on.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';
import type { LogEntry } from '../../../src/raft/types.js';
import type { Operation, OpFunction, Outcome } from '../../jepsen/checker/history.js';
import { chance, pick } from '../random.js';
import { contains, encodeCommand, type GroupCommand, type GroupMachine } from './group-machine.js';
import type { MultiNode, MultiView } from './multi-node.js';
import type { MultiOptions } from './multi-options.js';
import type { OwnershipModel } from './ownership.js';
import { ringOf } from './ring.js';

const ATTEMPTS_MAX = 3;
/** Chance that a client refreshes its map before an operation anyway (as SDKs do on a timer). */
const MAP_REFRESH_RATE = 0.05;

interface CachedGroup {
  readonly group: number;
  readonly start: number;
  readonly end: number;
  readonly replicas: readonly NodeId[];
  leader: NodeId | undefined;
}

interface OpenOp {
  readonly process: number;
  readonly f: OpFunction;
  readonly key: string;
  readonly value: string | null;
  readonly expected?: string | null;
  readonly invokeTime: number;
  readonly invokeMs: number;
  readonly client: Client;
}

interface Client {
  readonly id: number;
  process: number;
  map: CachedGroup[];
  open: OpenOp | undefined;
}

interface Pending {
  readonly op: OpenOp;
  readonly node: NodeId;
  readonly group: number;
  readonly term: number;
}

export class ClientDriver {
  readonly history: Operation[] = [];
  readonly stats = { opsOk: 0, opsFail: 0, opsInfo: 0, wrongShard: 0, notLeader: 0, readsServed: 0 };
  private readonly clients: Client[];
  private readonly proposals = new Map<string, Pending>();
  private readonly reads = new Map<string, Pending>();
  private seq = 0;
  private processNext: number;

  constructor(
    private readonly rng: Rng,
    private readonly options: MultiOptions,
    private readonly view: MultiView,
    private readonly ownership: OwnershipModel,
  ) {
    this.clients = Array.from({ length: options.clientCount }, (_, id) => ({ id, process: id, map: [], open: undefined }));
    this.processNext = options.clientCount;
  }

  get keys(): string[] {
    return Array.from({ length: this.options.keyCount }, (_, i) => `k${i}`);
  }

  step(): void {
    for (const client of this.clients) {
      if (client.open !== undefined || !chance(this.rng, this.options.opRate)) continue;
      this.begin(client);
    }
  }

  private begin(client: Client): void {
    const key = pick(this.rng, this.keys);
    const kind = pick(this.rng, ['read', 'read', 'write', 'write', 'cas'] as const);
    const value = kind === 'read' ? null : `v${++this.seq}`;
    const expected = kind === 'cas' ? this.guess(key) : undefined;
    const op: OpenOp = {
      process: client.process, f: kind, key, value, invokeTime: this.view.historyTime, invokeMs: this.view.nowMs, client,
      ...(expected === undefined ? {} : { expected }),
    };
    client.open = op;
    if (chance(this.rng, MAP_REFRESH_RATE)) this.refresh(client);
    for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
      const verdict = this.attempt(client, op);
      if (verdict === 'sent') return;
      if (verdict === 'refused') break;
    }
    this.complete(op, 'fail', null);
  }

  /** A recent value of the key (or null), so some CAS operations succeed. */
  private guess(key: string): string | null {
    for (let i = this.history.length - 1; i >= 0 && i >= this.history.length - 30; i--) {
      const op = this.history[i];
      if (op !== undefined && op.key === key && op.outcome === 'ok') return op.value;
    }
    return chance(this.rng, 0.5) ? null : `v${this.seq}`;
  }

  /** 'sent': proposed or read in flight; 'retry': refused with a routing hint; 'refused': give up. */
  private attempt(client: Client, op: OpenOp): 'sent' | 'retry' | 'refused' {
    if (client.map.length === 0) this.refresh(client);
    const position = ringOf(op.key);
    // The narrowest range holding the key: after a split the child's range is the map's word for it.
    const cached = client.map.filter((g) => position >= g.start && position < g.end).sort((a, b) => (a.end - a.start) - (b.end - b.start))[0];
    if (cached === undefined) return this.wrongShard(client);
    const target = cached.leader ?? (cached.replicas.length > 0 ? pick(this.rng, cached.replicas) : undefined);
    const node = target === undefined ? undefined : this.view.node(target);
    if (node === undefined || !node.isServing(this.view.nowMs)) {
      cached.leader = cached.replicas.length > 0 ? pick(this.rng, cached.replicas) : undefined;
      return 'retry';
    }
    const replica = node.replicas.get(cached.group);
    if (replica === undefined || !replica.isUp || !contains(replica.disk.machine.descriptor, position)) return this.wrongShard(client);
    const core = replica.raft();
    if (op.f === 'read') {
      const requestId = `r${++this.seq}`;
      const lease = this.options.sim.tuning.leaseReads && chance(this.rng, 0.5) ? core.leaseRead() : undefined;
      const result = lease?.ok === true ? lease : core.readIndex(requestId);
      if (!result.ok) return this.notLeader(cached, result.error.code, result.error.leader);
      this.reads.set(requestId, { op, node: node.id, group: cached.group, term: 0 });
      if (lease?.ok === true) replica.awaitRead(requestId, lease.value);
      return 'sent';
    }
    const command: GroupCommand = op.f === 'cas'
      ? { op: 'cas', key: op.key, expected: op.expected ?? null, value: op.value ?? '' }
      : { op: 'put', key: op.key, value: op.value ?? '' };
    const result = core.propose(encodeCommand(command));
    if (!result.ok) return this.notLeader(cached, result.error.code, result.error.leader);
    this.proposals.set(`${node.id}/${cached.group}/${result.value.index}`, { op, node: node.id, group: cached.group, term: result.value.term });
    return 'sent';
  }

  private wrongShard(client: Client): 'retry' {
    this.stats.wrongShard++;
    this.refresh(client);
    return 'retry';
  }

  private notLeader(cached: CachedGroup, code: string, leader: NodeId | null): 'retry' | 'refused' {
    if (code !== 'NOT_LEADER') return 'refused';
    this.stats.notLeader++;
    cached.leader = leader ?? undefined;
    return 'retry';
  }

  /** A fresh map, as the meta group would give it: each group's range and members from its most advanced replica. */
  private refresh(client: Client): void {
    const map: CachedGroup[] = [];
    for (const group of this.view.groups()) {
      const replica = this.view.freshest(group);
      if (replica === undefined) continue;
      const { descriptor, conf } = replica.disk.machine;
      const leader = replica.isUp ? replica.status()?.leader ?? undefined : undefined;
      map.push({ group, start: descriptor.start, end: descriptor.end, replicas: conf.voters, leader });
    }
    client.map = map;
  }

  applied(node: NodeId, group: number, entry: LogEntry, machine: GroupMachine): void {
    const id = `${node}/${group}/${entry.index}`;
    const pending = this.proposals.get(id);
    if (pending === undefined) return;
    this.proposals.delete(id);
    const result = machine.lastResult;
    if (entry.term !== pending.term || result === undefined) return this.complete(pending.op, 'fail', null);
    if (result.code === 'OK') return this.complete(pending.op, 'ok', pending.op.value);
    if (result.code === 'WRONG_SHARD') this.refresh(pending.op.client);
    this.complete(pending.op, 'fail', null);
  }

  readServed(node: NodeId, group: number, requestId: string): void {
    const pending = this.reads.get(requestId);
    if (pending === undefined) return;
    this.reads.delete(requestId);
    const replica = this.view.node(node)?.replicas.get(group);
    if (replica === undefined) return this.complete(pending.op, 'info', null);
    const machine = replica.disk.machine;
    const result = machine.read(pending.op.key);
    if (result.code === 'WRONG_SHARD') {
      this.stats.wrongShard++;
      this.refresh(pending.op.client);
      return this.complete(pending.op, 'fail', null);
    }
    this.ownership.served(node, group, machine.applied, pending.op.key, 'served a read of');
    this.stats.readsServed++;
    this.complete(pending.op, 'ok', result.value);
  }

  readsDropped(requestIds: readonly string[]): void {
    for (const requestId of requestIds) {
      const pending = this.reads.get(requestId);
      if (pending === undefined) continue;
      this.reads.delete(requestId);
      this.complete(pending.op, 'fail', null);
    }
  }

  /** The replica went down or was destroyed: what it was doing for clients has an unknown outcome. */
  crashed(node: NodeId, group: number): void {
    this.settleWhere((p) => p.node === node && p.group === group);
  }

  skippedTo(node: NodeId, group: number, index: number): void {
    for (const [id, pending] of this.proposals) {
      const at = Number(id.split('/')[2]);
      if (pending.node === node && pending.group === group && at <= index) {
        this.proposals.delete(id);
        this.complete(pending.op, 'info', null);
      }
    }
  }

  expire(nowMs: number): void {
    const oldest = nowMs - this.options.sim.bounds.clientTimeoutMs;
    this.settleWhere((p) => p.op.invokeMs < oldest);
  }

  /** Every client operation finished (for the end of the run). */
  get isIdle(): boolean {
    return this.proposals.size === 0 && this.reads.size === 0;
  }

  private settleWhere(matches: (pending: Pending) => boolean): void {
    for (const table of [this.proposals, this.reads]) {
      for (const [id, pending] of table) {
        if (!matches(pending)) continue;
        table.delete(id);
        this.complete(pending.op, 'info', null);
      }
    }
  }

  private complete(op: OpenOp, outcome: Outcome, value: string | null): void {
    if (op.client.open !== op) return;
    op.client.open = undefined;
    this.stats[outcome === 'ok' ? 'opsOk' : outcome === 'fail' ? 'opsFail' : 'opsInfo']++;
    const isRead = op.f === 'read';
    this.history.push({
      index: this.history.length, invokeLine: this.history.length + 1, process: op.process, f: op.f, key: op.key,
      value: isRead ? (outcome === 'ok' ? value : null) : op.value,
      ...(op.f === 'cas' ? { expected: op.expected ?? null } : {}),
      ...(op.f === 'cas' && outcome === 'ok' ? { casOk: true } : {}),
      invokeTime: op.invokeTime,
      completeTime: outcome === 'info' ? Infinity : this.view.historyTime,
      outcome,
    });
    if (outcome === 'info') op.client.process = this.processNext++;
    this.view.log(`client p${op.process} ${op.f} ${op.key}${op.value === null ? '' : `=${op.value}`}${op.f === 'cas' ? ` if ${op.expected ?? 'absent'}` : ''}: ${outcome}${isRead && outcome === 'ok' ? ` ${value ?? 'absent'}` : ''}`);
  }

  /** A read outside any client (the final reads), recorded after every other operation. */
  recordFinalRead(key: string, value: string | null): void {
    const time = this.view.historyTime + 1;
    this.history.push({ index: this.history.length, invokeLine: this.history.length + 1, process: this.processNext++, f: 'read', key, value, invokeTime: time, completeTime: time, outcome: 'ok' });
  }
}

export type { MultiNode };
