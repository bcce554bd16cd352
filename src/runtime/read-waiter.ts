/**
 * Linearizable reads in flight (thesis §6.4). A read first waits for the core to confirm a read
 * index (a ReadState), then for the state machine to apply up to that index; only then may it
 * read local state. Reads the core drops (leadership lost) fail at once so the client can retry.
 * Every read counts against the node's pendingReadsMax budget (pending-budget.ts) until it is
 * answered, dropped or cancelled.
 */
import type { PendingBudget } from './pending-budget.js';

interface PendingRead {
  index: number | null;
  readonly resolve: (appliedIndex: number) => void;
  readonly reject: (error: Error) => void;
}

export class ReadWaiter {
  private reads = new Map<string, PendingRead>();
  private nextId = 0;

  constructor(private readonly prefix: string, readonly budget: PendingBudget) {}

  get size(): number {
    return this.reads.size;
  }

  /** The node's budget is spent: refuse new reads (OVERLOADED) before starting them. */
  isFull(): boolean {
    return this.budget.isFull();
  }

  /** A fresh request id and the promise that resolves once the read may be served. */
  start(): { requestId: string; ready: Promise<number> } {
    const requestId = `${this.prefix}-${++this.nextId}`;
    this.budget.take();
    const ready = new Promise<number>((resolve, reject) => this.reads.set(requestId, { index: null, resolve, reject }));
    return { requestId, ready };
  }

  cancel(requestId: string): void {
    if (this.reads.delete(requestId)) this.budget.release();
  }

  confirmed(requestId: string, index: number, applied: number): void {
    const read = this.reads.get(requestId);
    if (read === undefined) return;
    read.index = index;
    if (applied >= index) this.finish(requestId, read, applied);
  }

  dropped(requestId: string, error: () => Error): void {
    const read = this.reads.get(requestId);
    if (read === undefined) return;
    this.cancel(requestId);
    read.reject(error());
  }

  /** The state machine reached `applied`: release every confirmed read at or below it. */
  appliedTo(applied: number): void {
    for (const [id, read] of this.reads) {
      if (read.index !== null && read.index <= applied) this.finish(id, read, applied);
    }
  }

  rejectAll(error: () => Error): void {
    for (const [id, read] of this.reads) {
      this.cancel(id);
      read.reject(error());
    }
  }

  private finish(id: string, read: PendingRead, applied: number): void {
    this.cancel(id);
    read.resolve(applied);
  }
}
