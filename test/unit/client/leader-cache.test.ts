// Goal: the leader cache's rules (src/client/leader-cache.ts): stale hints are ignored, a newer term
// replaces the entry even without a leader, the same term only fills gaps, forget keeps the term.
import { describe, expect, it } from 'vitest';
import { LeaderCache } from '../../../src/client/leader-cache.js';

describe('LeaderCache', () => {
  it('observe() caches the first hint of a group', () => {
    const cache = new LeaderCache();
    expect(cache.observe(0, { term: 3, leaderId: 1, address: 'a:1' })).toBe(true);
    expect(cache.entry(0)).toEqual({ term: 3, leaderId: 1, address: 'a:1' });
    expect(cache.leaderAddress(0)).toBe('a:1');
  });

  it('observe() ignores a hint older than the cached term', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' });
    expect(cache.observe(0, { term: 4, leaderId: 1, address: 'a:1' })).toBe(false);
    expect(cache.leaderAddress(0)).toBe('b:1');
  });

  it('observe() replaces the entry on a newer term, even when the hint names no leader', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' });
    expect(cache.observe(0, { term: 6 })).toBe(true);
    expect(cache.entry(0)).toEqual({ term: 6 });
    expect(cache.leaderAddress(0)).toBeUndefined();
  });

  it('observe() at the same term never swaps one known leader for another', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' });
    expect(cache.observe(0, { term: 5, leaderId: 3, address: 'c:1' })).toBe(false);
    expect(cache.entry(0)).toEqual({ term: 5, leaderId: 2, address: 'b:1' });
  });

  it('observe() at the same term fills in a leader the entry lacked', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 7 });
    expect(cache.observe(0, { term: 7, leaderId: 3, address: 'c:1' })).toBe(true);
    expect(cache.entry(0)).toEqual({ term: 7, leaderId: 3, address: 'c:1' });
  });

  it('observe() does not take an address from a hint that names no leader', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 7 });
    expect(cache.observe(0, { term: 7, address: 'c:1' })).toBe(false);
    expect(cache.leaderAddress(0)).toBeUndefined();
  });

  it('observe() reports no change for a repeat of the cached hint', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 2, leaderId: 1, address: 'a:1' });
    expect(cache.observe(0, { term: 2, leaderId: 1, address: 'a:1' })).toBe(false);
  });

  it('observe() treats an empty address as unknown', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 2, leaderId: 1, address: '' });
    expect(cache.entry(0)).toEqual({ term: 2, leaderId: 1 });
  });

  it('observe() refuses a term that is not a non-negative safe integer', () => {
    const cache = new LeaderCache();
    expect(cache.observe(0, { term: Number.NaN, leaderId: 1 })).toBe(false);
    expect(cache.observe(0, { term: -1, leaderId: 1 })).toBe(false);
    expect(cache.entry(0)).toBeUndefined();
  });

  it('keeps groups apart', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 9, leaderId: 1, address: 'a:1' });
    cache.observe(1, { term: 2, leaderId: 2, address: 'b:1' });
    expect(cache.leaderAddress(0)).toBe('a:1');
    expect(cache.leaderAddress(1)).toBe('b:1');
  });

  it('forget() drops the leader at that address but keeps the term floor', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' });
    cache.forget(0, 'b:1');
    expect(cache.leaderAddress(0)).toBeUndefined();
    expect(cache.entry(0)?.term).toBe(5);
    expect(cache.observe(0, { term: 4, leaderId: 1, address: 'a:1' })).toBe(false);
  });

  it('forget() makes hints naming the same dead leader at that term ignored, but not a new leader', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' });
    cache.forget(0, 'b:1');
    expect(cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' })).toBe(false);
    expect(cache.leaderAddress(0)).toBeUndefined();
    expect(cache.observe(0, { term: 6, leaderId: 3, address: 'c:1' })).toBe(true);
    expect(cache.entry(0)).toEqual({ term: 6, leaderId: 3, address: 'c:1' });
  });

  it('forget() leaves the entry alone when the address is not the cached leader', () => {
    const cache = new LeaderCache();
    cache.observe(0, { term: 5, leaderId: 2, address: 'b:1' });
    cache.forget(0, 'a:1');
    expect(cache.leaderAddress(0)).toBe('b:1');
  });
});
