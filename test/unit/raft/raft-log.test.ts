import { describe, expect, it } from 'vitest';
import { founderState } from '../../../src/raft/bootstrap.js';
import { RaftLog } from '../../../src/raft/raft-log.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { logIndex, nodeId, term } from '../../../src/shared/ids.js';
import { MemoryLogStore } from '../../../src/storage/memory-log-store.js';

const entry = (index: number, t: number): LogEntry => ({ index: logIndex(index), term: term(t), type: 'normal', data: new Uint8Array([index]) });

function logWith(stored: [number, number][]): { log: RaftLog; store: MemoryLogStore } {
  const store = new MemoryLogStore(founderState([nodeId(1)]));
  store.append(stored.map(([i, t]) => entry(i, t)));
  return { log: new RaftLog(store, logIndex(1)), store };
}

describe('RaftLog', () => {
  it('term() reads stored and unstable entries and the snapshot boundary', () => {
    const { log } = logWith([[2, 1], [3, 2]]);
    log.append([entry(4, 3)]);
    expect([1, 2, 3, 4, 5].map((i) => log.term(logIndex(i)))).toEqual([1, 1, 2, 3, undefined]);
    expect(log.term(logIndex(0))).toBeUndefined();
  });

  it('append() over durable entries makes the overwrite unstable and hides the stale suffix', () => {
    const { log } = logWith([[2, 1], [3, 1], [4, 1]]);
    log.append([entry(3, 2)]);
    expect(log.lastIndex()).toBe(3);
    expect(log.term(logIndex(3))).toBe(2);
    expect(log.unstableEntries().map((e) => e.index)).toEqual([3]);
    expect(log.persistedIndex()).toBe(2);
  });

  it('append() refuses to overwrite a committed entry', () => {
    const { log } = logWith([[2, 1], [3, 1]]);
    log.commitTo(logIndex(3));
    expect(() => log.append([entry(3, 2)])).toThrow(/committed/);
  });

  it('stableTo() ignores an acknowledgement for entries overwritten meanwhile', () => {
    const { log } = logWith([]);
    log.append([entry(2, 1), entry(3, 1)]);
    log.append([entry(3, 2)]);
    log.stableTo(logIndex(3), term(1));
    expect(log.unstableEntries().length).toBe(2);
    log.stableTo(logIndex(3), term(2));
    expect(log.unstableEntries().length).toBe(0);
  });

  it.each([
    { stored: [[2, 1], [3, 2], [4, 2], [5, 4]], index: 5, t: 3, expected: 4 },
    { stored: [[2, 1], [3, 2], [4, 2], [5, 4]], index: 5, t: 1, expected: 2 },
    { stored: [[2, 1], [3, 2]], index: 9, t: 5, expected: 3 },
  ] as const)('findConflictByTerm($index, $t) is $expected', ({ stored, index, t, expected }) => {
    const { log } = logWith(stored.map(([i, tt]) => [i, tt]));
    expect(log.findConflictByTerm(logIndex(index), term(t))).toBe(expected);
  });

  it.each([
    { lastIndex: 3, lastTerm: 2, expected: true },
    { lastIndex: 2, lastTerm: 2, expected: false },
    { lastIndex: 9, lastTerm: 1, expected: false },
    { lastIndex: 1, lastTerm: 3, expected: true },
  ])('isUpToDate($lastIndex, $lastTerm) against (3, 2) is $expected', ({ lastIndex, lastTerm, expected }) => {
    const { log } = logWith([[2, 1], [3, 2]]);
    expect(log.isUpToDate(logIndex(lastIndex), term(lastTerm))).toBe(expected);
  });

  it('restore() replaces the log with a received snapshot until it is installed', () => {
    const { log } = logWith([[2, 1], [3, 1]]);
    const meta = { index: logIndex(10), term: term(3), conf: { voters: [nodeId(1)], learners: [] } };
    log.restore(meta);
    expect([log.firstIndex(), log.lastIndex(), log.committed, log.term(logIndex(10))]).toEqual([11, 10, 10, 3]);
    expect(log.term(logIndex(3))).toBeUndefined();
    expect(log.persistedIndex()).toBe(0);
  });

  it('entries() stops at the byte bound but returns at least one entry', () => {
    const { log } = logWith([[2, 1], [3, 1], [4, 1]]);
    expect(log.entries(logIndex(2), logIndex(5), 1).length).toBe(1);
    expect(log.entries(logIndex(2), logIndex(5), 60).length).toBe(2);
  });
});
