// TermRuns, the run-length term cache behind SqliteLogStore.term(), and the byte-order helpers
// range reads rely on.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../src/shared/assert.js';
import { keySuccessor, prefixEnd } from '../../../src/storage/kv-table.js';
import { TermRuns } from '../../../src/storage/term-runs.js';

function lookups(runs: TermRuns, from: number, to: number): (number | undefined)[] {
  return Array.from({ length: to - from + 1 }, (_, i) => runs.lookup(from + i));
}

describe('TermRuns', () => {
  it('lookup() answers every index from the base to the last appended one', () => {
    const runs = new TermRuns(10, { index: 5, term: 2 });
    for (const [index, t] of [[6, 2], [7, 3], [8, 3], [9, 5]] as const) runs.append(index, t);
    expect(lookups(runs, 4, 10)).toEqual([undefined, 2, 2, 3, 3, 5, undefined]);
  });

  it('truncateAfter() drops later runs and append() continues from there', () => {
    const runs = new TermRuns(10, { index: 0, term: 0 });
    for (const [index, t] of [[1, 1], [2, 2], [3, 3]] as const) runs.append(index, t);
    runs.truncateAfter(1);
    runs.append(2, 4);
    expect(lookups(runs, 0, 3)).toEqual([0, 1, 4, undefined]);
  });

  it('compactTo() forgets terms below the new snapshot', () => {
    const runs = new TermRuns(10, { index: 0, term: 0 });
    for (const [index, t] of [[1, 1], [2, 1], [3, 2], [4, 2]] as const) runs.append(index, t);
    runs.compactTo(3);
    expect([runs.coveredFrom, ...lookups(runs, 2, 4)]).toEqual([3, undefined, 2, 2]);
  });

  it('keeps at most runsMax runs, dropping the oldest', () => {
    const runs = new TermRuns(3, { index: 0, term: 0 });
    for (let i = 1; i <= 5; i++) runs.append(i, i);
    expect([runs.coveredFrom, ...lookups(runs, 2, 5)]).toEqual([3, undefined, 3, 4, 5]);
  });

  it.each([
    ['a gap', (runs: TermRuns): void => runs.append(3, 1)],
    ['a lower term', (runs: TermRuns): void => runs.append(2, 0)],
  ])('append() refuses %s', (_name, act) => {
    const runs = new TermRuns(3, { index: 0, term: 0 });
    runs.append(1, 1);
    expect(() => act(runs)).toThrow(InvariantError);
  });
});

describe('key order helpers', () => {
  it.each([
    [[0x61], [0x62]],
    [[0x61, 0xff], [0x62]],
    [[0x61, 0xfe, 0xff, 0xff], [0x61, 0xff]],
  ])('prefixEnd(%j) is %j', (prefix, end) => {
    expect(prefixEnd(Uint8Array.from(prefix))).toEqual(Uint8Array.from(end));
  });

  it('prefixEnd() of an empty or all-0xff prefix is null (the end of the key space)', () => {
    expect([prefixEnd(new Uint8Array(0)), prefixEnd(Uint8Array.from([0xff, 0xff]))]).toEqual([null, null]);
  });

  it('keySuccessor() appends a zero byte', () => {
    expect(keySuccessor(Uint8Array.from([7]))).toEqual(Uint8Array.from([7, 0]));
  });
});
