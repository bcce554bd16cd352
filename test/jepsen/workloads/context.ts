// What every workload's clients share: where to send each operation (a leader guess learnt from
// answers, plus some reads on purpose through other nodes), the history recorder (one monotonic
// clock for all clients), and a log of every operation's outcome and times, from which the run
// computes availability per fault window.
import { KvError } from '../../../src/shared/errors.js';
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';
import { sleep } from '../../support/poll.js';
import type { HistoryRecorder } from '../../support/history-recorder.js';
import type { Outcome } from '../checker/history.js';
import type { JepsenCluster } from '../harness/jepsen-cluster.js';

export interface OpRecord {
  readonly workload: string;
  readonly f: string;
  readonly invokeNs: number;
  readonly completeNs: number;
  readonly outcome: Outcome;
  readonly node: NodeId;
}

/** Routes operations: writes to the believed leader, reads mostly there and some anywhere. */
export class Router {
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
  readonly router: Router;
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
