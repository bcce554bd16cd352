// RecentEntries, the in-memory suffix of a group's log: its bounds (entries and bytes, always
// keeping the newest entry), reads with the LogReader byte bound, and the cuts the log store makes
// on overwrite and compaction. Whether the store calls it right is tested in raft-log-store.test.ts.
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../src/raft/types.js';
import { RecentEntries } from '../../../src/storage/recent-entries.js';
import { entries, entry, text } from './helpers.js';

const roomy = (): RecentEntries => new RecentEntries(1 << 20, 100);
const indexes = (list: readonly { index: number }[] | undefined): number[] | undefined => list?.map((e) => e.index);

describe('RecentEntries', () => {
  it('slice() serves what was appended, bounded by bytes but at least one entry', () => {
    const recent = roomy();
    recent.append(entries(5, 4, 1));
    expect(indexes(recent.slice(5, 9, 1 << 20))).toEqual([5, 6, 7, 8]);
    expect(indexes(recent.slice(6, 8, 1 << 20))).toEqual([6, 7]);
    expect(indexes(recent.slice(5, 9, 0))).toEqual([5]);
    expect(indexes(recent.slice(5, 9, 2 * (24 + 2)))).toEqual([5, 6]); // entryBytes is data + 24
  });

  it('slice() answers undefined for a range it does not hold', () => {
    const recent = roomy();
    expect(recent.slice(1, 2, 100)).toBeUndefined();
    recent.append(entries(5, 4, 1));
    expect(recent.slice(4, 6, 100)).toBeUndefined();
    expect(recent.slice(8, 10, 100)).toBeUndefined();
  });

  it('keeps at most its count of the newest entries', () => {
    const recent = new RecentEntries(1 << 20, 3);
    recent.append(entries(1, 2, 1));
    recent.append(entries(3, 3, 1));
    expect(recent.slice(2, 6, 1 << 20)).toBeUndefined();
    expect(indexes(recent.slice(3, 6, 1 << 20))).toEqual([3, 4, 5]);
  });

  it('over many rounds of appends and overwrites keeps exactly the newest entries', () => {
    const recent = new RecentEntries(1 << 20, 20);
    const model: LogEntry[] = []; // model[i] is the entry at index i + 1
    for (let round = 1; round <= 200; round++) {
      const from = round % 10 === 0 ? model.length - 3 : model.length + 1; // every tenth overwrites
      const list = entries(from, 7, round);
      recent.append(list);
      model.length = from - 1;
      model.push(...list);
      const last = model.length;
      if (last > 20) expect(recent.slice(last - 20, last + 1, 1 << 20)).toBeUndefined();
      const lo = Math.max(1, last - 19);
      expect(recent.slice(lo, last + 1, 1 << 20)).toEqual(model.slice(lo - 1));
    }
  });

  it('keeps the newest entries within its bytes, and always the newest one', () => {
    const recent = new RecentEntries(2 * (24 + 2), 100);
    recent.append(entries(1, 3, 1));
    expect(recent.slice(1, 4, 1 << 20)).toBeUndefined();
    expect(indexes(recent.slice(2, 4, 1 << 20))).toEqual([2, 3]);
    recent.append([entry(4, 1, new Uint8Array(1000))]);
    expect(recent.slice(3, 5, 1 << 20)).toBeUndefined();
    expect(indexes(recent.slice(4, 5, 1 << 20))).toEqual([4]);
  });

  it('an append that overwrites a suffix replaces it; one reaching below what it holds starts over', () => {
    const recent = roomy();
    recent.append(entries(5, 4, 1));
    recent.append([entry(7, 2, new Uint8Array([7]))]);
    expect(recent.slice(5, 9, 1 << 20)).toBeUndefined(); // 8 is gone with the old suffix
    expect(recent.slice(5, 8, 1 << 20)?.map((e) => e.term)).toEqual([1, 1, 2]);
    recent.append([entry(3, 3)]);
    expect(recent.slice(5, 6, 1 << 20)).toBeUndefined();
    expect(indexes(recent.slice(3, 4, 1 << 20))).toEqual([3]);
  });

  it('truncateFrom() and compactTo() cut the end and the front', () => {
    const recent = roomy();
    recent.append(entries(1, 6, 1));
    recent.truncateFrom(5);
    expect(recent.slice(1, 6, 1 << 20)).toBeUndefined();
    recent.compactTo(2);
    expect(recent.slice(2, 5, 1 << 20)).toBeUndefined();
    expect(recent.slice(3, 5, 1 << 20)?.map((e) => text(e.data))).toEqual(['e3', 'e4']);
    recent.compactTo(10);
    expect(recent.slice(4, 5, 1 << 20)).toBeUndefined();
  });

  it('copies data that is a view into a larger buffer, so it does not pin that buffer', () => {
    const message = new Uint8Array(64 * 1024);
    message.set([1, 2, 3], 100);
    const recent = roomy();
    const own = entry(1, 1, new Uint8Array([9]));
    recent.append([own, entry(2, 1, message.subarray(100, 103))]);
    const [first, second] = recent.slice(1, 3, 1 << 20) ?? [];
    expect(first).toBe(own);
    expect(second?.data).toEqual(new Uint8Array([1, 2, 3]));
    expect(second?.data.buffer.byteLength).toBe(3);
  });
});
