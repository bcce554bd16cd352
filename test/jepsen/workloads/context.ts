// What every workload's clients share: where to send each operation (a leader guess learnt from
// answers, plus some reads on purpose through other nodes; on a sharded cluster, the key's group's
// leader from the shard map, see shard-router.ts), the history recorder (one monotonic clock for
// all clients), and a log of every operation's outcome and times, from which the run computes
// availability per fault window.
import { KvError } from '../../../src/shared/errors.js';
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';
import { sleep } from '../../support/poll.js';
import type { HistoryRecorder } from '../../support/history-recorder.js';
import type { Outcome } from '../checker/history.js';
import type { JepsenCluster } from '../harness/jepsen-cluster.js';
import type { ShardRouter } from './shard-router.js';

export interface OpRecord {
  readonly workload: string;
  readonly f: string;
  readonly invokeNs: number;
  readonly completeNs: number;
  readonly outcome: Outcome;
  readonly node: NodeId;
}

/** A routed call's answer and the node that gave it. */
export interface Routed<T> {
  readonly value: T;
  readonly node: NodeId;
}

/** A routed call's last error and the node that gave it (or was last tried). */
export class RoutedFailure extends Error {
  override readonly name = 'RoutedFailure';
  constructor(readonly error: unknown, readonly node: NodeId) {
    super(error instanceof Error ? error.message : String(error));
  }
}

/** Splits a caught error into the error itself and the node it came from. */
export function unwrapFailure(caught: unknown, fallback: NodeId): { readonly error: unknown; readonly node: NodeId } {
  return caught instanceof RoutedFailure ? { error: caught.error, node: caught.node } : { error: caught, node: fallback };
}

/** Every key under a prefix with its value, read linearizably (the final reads after the heal). */
export type PrefixScan = (prefix: string) => Promise<Map<string, string>>;

/** Where a workload's operations go. */
export interface Routing {
  /**
   * Runs `attempt` for an operation on `key` against a node chosen for it, within `deadlineMs` in
   * all. A router may try again elsewhere, but only after a refusal that proves the operation had
   * no effect (a `fail` in HISTORY.md terms); anything else ends the operation. Throws a
   * RoutedFailure with the last error.
   */
  send<T>(key: string, read: boolean, deadlineMs: number, attempt: (node: NodeId, deadlineMs: number) => Promise<T>): Promise<Routed<T>>;
}

/**
 * The unsharded router: writes to the believed leader, reads mostly there and some anywhere. One
 * attempt per operation: the next operation follows the leader hint of this one's refusal.
 */
export class Router implements Routing {
  private leader: NodeId | undefined;

  constructor(private readonly nodes: readonly NodeId[], private readonly rng: Rng, private readonly followerReadShare: number) {}

  private random(): NodeId {
    return this.nodes[this.rng.nextInt(this.nodes.length)] as NodeId;
  }

  forWrite(): NodeId {
    return this.leader ?? this.random();
  }

  forRead(): NodeId {
    return this.rng.nextFloat() < this.followerReadShare ? this.random() : this.forWrite();
  }

  /** A node answered a write or a leader-only call: it leads. */
  servedWrite(node: NodeId): void {
    this.leader = node;
  }

  async send<T>(_key: string, read: boolean, deadlineMs: number, attempt: (node: NodeId, deadlineMs: number) => Promise<T>): Promise<Routed<T>> {
    const node = read ? this.forRead() : this.forWrite();
    try {
      const value = await attempt(node, deadlineMs);
      if (!read) this.servedWrite(node);
      return { value, node };
    } catch (error) {
      this.failed(node, error);
      throw new RoutedFailure(error, node);
    }
  }

  /** Learns from a failure at `node`: follow a leader hint, forget a leader that did not answer. */
  failed(node: NodeId, error: unknown): void {
    const hint = error instanceof KvError ? error.details.leaderId : undefined;
    if (hint !== undefined && hint > 0 && this.nodes.includes(hint as NodeId)) this.leader = hint as NodeId;
    else if (this.leader === node) this.leader = undefined;
  }
}

export interface WorkloadContext {
  readonly cluster: JepsenCluster;
  readonly recorder: HistoryRecorder;
  readonly router: Routing;
  /** The same router as `router` when the cluster is sharded (groups, ring ranges); else undefined. */
  readonly shards?: ShardRouter;
  readonly rng: Rng;
  readonly opTimeoutMs: number;
  readonly leaseReads: boolean;
  readonly ops: OpRecord[];
  /** True once the run's workload phase is over; workers finish their current op and return. */
  readonly stopped: () => boolean;
}

/** A short pause after a failed op, so a cluster without leader is not hammered in a tight loop. */
export function backoff(rng: Rng): Promise<void> {
  return sleep(20 + rng.nextInt(60));
}

/** Runs `count` workers until the context says stop. */
export async function runWorkers(count: number, worker: (index: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: count }, (_, i) => worker(i)));
}
