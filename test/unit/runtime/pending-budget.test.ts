// Goal: the per-node bounds on waiting reads and writes (issue #14) are shared by every group's
// waiters, released on every way a waiter leaves (answered, dropped, cancelled, failed), and
// refuse the next request once spent. Method: two groups' waiters over one pair of budgets.
import { describe, expect, it } from 'vitest';
import { PendingBudget } from '../../../src/runtime/pending-budget.js';
import { ProposalTracker } from '../../../src/runtime/proposal-tracker.js';
import { ReadWaiter } from '../../../src/runtime/read-waiter.js';

const failed = (): Error => new Error('failed');

describe('PendingBudget', () => {
  it('is shared by the read waiters of every group and released however a read ends', async () => {
    const budget = new PendingBudget('pendingReadsMax', 3);
    const [a, b] = [new ReadWaiter('g1', budget), new ReadWaiter('g2', budget)];
    const answered = a.start();
    const dropped = a.start();
    const cancelled = b.start();
    expect(budget.size).toBe(3);
    expect(a.isFull() && b.isFull()).toBe(true);
    a.confirmed(answered.requestId, 5, 5);
    await expect(answered.ready).resolves.toBe(5);
    a.dropped(dropped.requestId, failed);
    await expect(dropped.ready).rejects.toThrow('failed');
    b.cancel(cancelled.requestId);
    b.cancel(cancelled.requestId); // A second cancel (deadline after the answer) releases nothing.
    expect(budget.size).toBe(0);
    const last = b.start();
    b.rejectAll(failed);
    await expect(last.ready).rejects.toThrow('failed');
    expect(budget.size).toBe(0);
  });

  it('is shared by the proposal trackers of every group and released however a write ends', async () => {
    const budget = new PendingBudget('pendingProposalsMax', 2);
    const [a, b] = [new ProposalTracker<string>(budget), new ProposalTracker<string>(budget)];
    const applied = a.track(1, 1);
    const superseded = b.track(1, 1);
    expect(a.isFull()).toBe(true);
    a.applied(1, 1, 'done', failed);
    b.applied(1, 2, 'other', failed);
    await expect(applied).resolves.toBe('done');
    await expect(superseded).rejects.toThrow('failed');
    expect(budget.size).toBe(0);
    const skipped = a.track(2, 1);
    b.track(3, 1).catch(() => undefined);
    b.cancel(3);
    a.skippedTo(5, failed);
    await expect(skipped).rejects.toThrow('failed');
    expect(budget.size).toBe(0);
  });

  it('refuses to count past its bound: callers must check isFull() first', () => {
    const budget = new PendingBudget('pendingReadsMax', 1);
    budget.take();
    expect(() => budget.take()).toThrow('pendingReadsMax exceeded');
  });
});
