/**
 * A per-node bound on client requests waiting in the runtime, shared by every group hosted here:
 * one budget for linearizable reads (pendingReadsMax), one for writes (pendingProposalsMax). A node
 * hosting many groups holds at most `max` of a kind in all, so memory and the work of answering
 * them stay bounded however the load spreads. Callers refuse a request with OVERLOADED before it
 * reaches the Raft core when the budget is spent (src/server/group-calls.ts), naming the bound.
 */
import { assert } from '../shared/assert.js';

export class PendingBudget {
  private used = 0;

  constructor(readonly name: string, readonly max: number) {
    assert(Number.isSafeInteger(max) && max >= 1, `${name} must be a positive integer`);
  }

  get size(): number {
    return this.used;
  }

  isFull(): boolean {
    return this.used >= this.max;
  }

  /** Counts one waiter in. The caller checked isFull() first; passing the bound is our bug. */
  take(): void {
    assert(this.used < this.max, () => `${this.name} exceeded: ${this.used} of ${this.max} in use`);
    this.used++;
  }

  release(): void {
    assert(this.used > 0, () => `${this.name} released more than taken`);
    this.used--;
  }
}

/** The two budgets of one node, made by the NodeHost and handed to every GroupDriver. */
export interface PendingBudgets {
  readonly reads: PendingBudget;
  readonly proposals: PendingBudget;
}
