import { describe, expect, it } from 'vitest';
import { Progress } from '../../../src/raft/progress.js';
import { logIndex } from '../../../src/shared/ids.js';

const progress = (next: number, inflightMax = 2) => new Progress(logIndex(next), false, inflightMax);

describe('Progress', () => {
  it('maybeUpdate() moves match and next forward only', () => {
    const pr = progress(5);
    expect(pr.maybeUpdate(logIndex(3))).toBe(true);
    expect([pr.match, pr.next]).toEqual([3, 5]);
    expect(pr.maybeUpdate(logIndex(2))).toBe(false);
    expect([pr.match, pr.next]).toEqual([3, 5]);
    pr.maybeUpdate(logIndex(7));
    expect([pr.match, pr.next]).toEqual([7, 8]);
  });

  it('maybeDecrTo() in probe ignores a rejection of an index it did not probe', () => {
    const pr = progress(10);
    expect(pr.maybeDecrTo(logIndex(5), logIndex(3))).toBe(false);
    expect(pr.next).toBe(10);
  });

  it('maybeDecrTo() in probe jumps to the hint but never below match + 1', () => {
    const pr = progress(10);
    expect(pr.maybeDecrTo(logIndex(9), logIndex(4))).toBe(true);
    expect(pr.next).toBe(5);
    pr.maybeUpdate(logIndex(3));
    pr.next = logIndex(6);
    pr.maybeDecrTo(logIndex(5), logIndex(0));
    expect(pr.next).toBe(4);
  });

  it('maybeDecrTo() in replicate falls back to match + 1 and ignores stale rejections', () => {
    const pr = progress(1);
    pr.maybeUpdate(logIndex(4));
    pr.becomeReplicate();
    pr.sentEntries(logIndex(8), 4);
    expect(pr.maybeDecrTo(logIndex(3), logIndex(0))).toBe(false);
    expect(pr.maybeDecrTo(logIndex(6), logIndex(0))).toBe(true);
    expect(pr.next).toBe(5);
  });

  it('isPaused() in probe allows one append until a reply', () => {
    const pr = progress(1);
    expect(pr.isPaused()).toBe(false);
    pr.sentEntries(logIndex(3), 3);
    expect(pr.isPaused()).toBe(true);
    pr.maybeUpdate(logIndex(3));
    expect(pr.isPaused()).toBe(false);
  });

  it('isPaused() in replicate bounds appends in flight and frees them on acks', () => {
    const pr = progress(1, 2);
    pr.becomeReplicate();
    pr.sentEntries(logIndex(2), 2);
    pr.sentEntries(logIndex(4), 2);
    expect(pr.isPaused()).toBe(true);
    expect(pr.next).toBe(5);
    pr.freeInflightsUpTo(logIndex(2));
    expect(pr.isPaused()).toBe(false);
  });

  it('becomeProbe() after a snapshot resumes after the snapshot index', () => {
    const pr = progress(1);
    pr.becomeSnapshot(logIndex(20));
    expect(pr.isPaused()).toBe(true);
    pr.becomeProbe();
    expect(pr.next).toBe(21);
  });
});
