/**
 * Client writes waiting for their log entry to be applied. A proposal made at (index, term)
 * succeeded exactly when the entry applied at `index` has that `term`; if another term's entry is
 * applied there, ours was overwritten and certainly never applied (thesis §6.3 relies on this).
 * Waiters whose deadline passes are removed by the caller; the entry may still commit later, which
 * is why a timed-out write is reported as "outcome unknown", never as failed. Every waiter counts
 * against the node's pendingProposalsMax budget (pending-budget.ts) until it settles or is cancelled.
 */
import { assert } from '../shared/assert.js';
import type { PendingBudget } from './pending-budget.js';

interface Waiter<R> {
  readonly term: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: Error) => void;
}

export class ProposalTracker<R> {
  private waiters = new Map<number, Waiter<R>>();

  constructor(readonly budget: PendingBudget) {}

  get size(): number {
    return this.waiters.size;
  }

  /** The node's budget is spent: refuse new writes (OVERLOADED) before proposing them. */
  isFull(): boolean {
    return this.budget.isFull();
  }

  /** Registers the proposal; the promise settles when its index is applied. */
  track(index: number, term: number): Promise<R> {
    assert(!this.waiters.has(index), `Two proposals tracked at index ${index}`);
    this.budget.take();
    return new Promise<R>((resolve, reject) => this.waiters.set(index, { term, resolve, reject }));
  }

  cancel(index: number): void {
    this.remove(index);
  }

  /** Called for every applied entry, in index order. `superseded` builds the certain-failure error. */
  applied(index: number, term: number, result: R, superseded: () => Error): void {
    const waiter = this.remove(index);
    if (waiter === undefined) return;
    if (waiter.term === term) waiter.resolve(result);
    else waiter.reject(superseded());
  }

  /** A snapshot jumped past tracked indexes: their outcome can no longer be observed here. */
  skippedTo(index: number, unknown: () => Error): void {
    for (const [i, waiter] of this.waiters) {
      if (i > index) continue;
      this.remove(i);
      waiter.reject(unknown());
    }
  }

  /** Shutting down: every waiter's outcome is unknown. */
  rejectAll(error: () => Error): void {
    for (const [index, waiter] of this.waiters) {
      this.remove(index);
      waiter.reject(error());
    }
  }

  private remove(index: number): Waiter<R> | undefined {
    const waiter = this.waiters.get(index);
    if (waiter === undefined) return undefined;
    this.waiters.delete(index);
    this.budget.release();
    return waiter;
  }
}
