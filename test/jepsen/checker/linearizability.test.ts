// Goal: checkHistory() accepts every history a correct CAS register can produce and rejects the
// classic anomalies. Method: small hand-made histories (times in ns, chosen so the intended real-
// time order is obvious), each stated as intervals through the testkit and the real parser.

import { describe, expect, it } from 'vitest';
import { checkHistory } from './linearizability.js';
import { cas, historyOf, read, write, type OpSpec } from './testkit.js';

function verdict(specs: readonly OpSpec[]): boolean | 'unknown' {
  return checkHistory(historyOf(specs)).valid;
}

describe('checkHistory() on linearizable histories', () => {
  const good: Array<[string, OpSpec[]]> = [
    ['sequential writes and reads', [write(0, 'a', 0, 10), read(1, 'a', 20, 30), write(0, 'b', 40, 50), read(1, 'b', 60, 70)]],
    ['a read of null before any write took effect', [write(0, 'a', 0, 50), read(1, null, 10, 20), read(1, 'a', 60, 70)]],
    ['overlapping writes observed in the opposite order to their invokes', [
      write(0, 'a', 0, 100), write(1, 'b', 5, 100), read(2, 'b', 10, 20), read(2, 'a', 30, 40), read(3, 'a', 110, 120),
    ]],
    ['a read overlapping a write that sees either value', [write(0, 'a', 0, 10), write(0, 'b', 20, 60), read(1, 'a', 30, 40), read(2, 'b', 30, 40)]],
    ['cas ok with a matching compare and cas_ok false with a mismatch', [
      write(0, 'a', 0, 10), cas(1, 'a', 'b', 20, 30, true), cas(2, 'a', 'c', 40, 50, false), read(0, 'b', 60, 70),
    ]],
    ['two concurrent writes whose order is only settled by a late read', [
      write(0, 'a', 0, 100), write(1, 'b', 0, 100), read(2, 'a', 10, 20), read(3, 'b', 110, 120),
    ]],
    ['cas on an absent key with expected null', [cas(0, null, 'a', 0, 10), read(1, 'a', 20, 30)]],
    ['an info write that took effect long after its info completion', [
      write(0, 'a', 0, 10), write(1, 'b', 20, 30, 'info'), read(2, 'a', 40, 50), read(2, 'b', 60, 70), read(2, 'b', 80, 90),
    ]],
    ['an info write that never took effect', [write(0, 'a', 0, 10), write(1, 'b', 20, 30, 'info'), read(2, 'a', 40, 50), read(2, 'a', 60, 70)]],
    ['an invoke that never completed but took effect', [write(0, 'a', 0, 10), write(1, 'b', 20), read(2, 'b', 40, 50)]],
    ['an info cas that took effect', [write(0, 'a', 0, 10), { ...cas(1, 'a', 'b', 20, 30), outcome: 'info' }, read(2, 'b', 40, 50)]],
    ['a failed write that is never seen', [write(0, 'a', 0, 10), write(1, 'b', 20, 30, 'fail'), read(2, 'a', 40, 50)]],
    ['a read that ended info with a value never written (dropped)', [write(0, 'a', 0, 10), read(1, 'zzz', 20, 30, 'info')]],
    ['operations touching at one instant (treated as concurrent)', [write(0, 'a', 0, 10), read(1, null, 10, 20)]],
    ['independent keys', [
      { ...write(0, 'a', 0, 10), key: 'x' }, { ...write(1, 'b', 0, 10), key: 'y' },
      { ...read(2, 'a', 20, 30), key: 'x' }, { ...read(3, 'b', 20, 30), key: 'y' },
    ]],
    ['a write deleting the key', [write(0, 'a', 0, 10), write(0, null, 20, 30), read(1, null, 40, 50)]],
  ];

  it.each(good)('checkHistory() accepts %s', (_name, specs) => {
    expect(verdict(specs)).toBe(true);
  });

  it('checkHistory() accepts an empty history with no keys', () => {
    expect(checkHistory([])).toEqual({ valid: true, keys: [], failures: [] });
  });

  it('checkHistory() reports per-key counts of checked, info and dropped operations', () => {
    const result = checkHistory(historyOf([
      write(0, 'a', 0, 10), write(1, 'b', 20, 30, 'info'), write(2, 'c', 20, 30, 'fail'), read(3, 'x', 20, 30, 'info'), read(4, 'a', 40, 50),
    ]));
    expect(result.keys).toEqual([expect.objectContaining({ key: 'k', valid: true, opCount: 3, infoCount: 1, droppedCount: 2 })]);
  });
});

describe('checkHistory() on histories that are not linearizable', () => {
  const bad: Array<[string, OpSpec[]]> = [
    ['a stale read after an acknowledged write', [write(0, 'a', 0, 10), write(0, 'b', 20, 30), read(1, 'a', 40, 50)]],
    ['a read of a value never written', [write(0, 'a', 0, 10), read(1, 'q', 20, 30)]],
    ['a lost acknowledged write (key absent afterwards)', [write(0, 'a', 0, 10), read(1, null, 20, 30)]],
    ['cas_ok true when the compare could not match', [write(0, 'a', 0, 10), cas(1, 'x', 'y', 20, 30, true)]],
    ['cas_ok false when the compare must have matched', [write(0, 'a', 0, 10), cas(1, 'a', 'y', 20, 30, false)]],
    ['a later read seeing an older value than an earlier read', [
      write(0, 'a', 0, 10), write(1, 'b', 20, 100), read(2, 'b', 30, 40), read(3, 'a', 50, 60),
    ]],
    ['a failed write that is seen', [write(0, 'a', 0, 10), write(1, 'b', 20, 30, 'fail'), read(2, 'b', 40, 50)]],
    ['an info write seen before it was invoked', [read(0, 'b', 0, 10), write(1, 'b', 20, 30, 'info')]],
    ['reads seeing two concurrent writes flip back and forth', [
      write(0, 'a', 0, 100), write(1, 'b', 0, 100), read(2, 'a', 10, 20), read(2, 'b', 30, 40), read(2, 'a', 50, 60),
    ]],
    ['two successful cas from the same expected value', [write(0, 'a', 0, 10), cas(1, 'a', 'b', 20, 30), cas(2, 'a', 'c', 20, 30)]],
  ];

  it.each(bad)('checkHistory() rejects %s', (_name, specs) => {
    expect(verdict(specs)).toBe(false);
  });

  it('checkHistory() explains a stale read with the prefix, the state and the blocking operation', () => {
    const ops = historyOf([write(0, 'a', 0, 10), write(0, 'b', 20, 30), read(1, 'a', 40, 50), read(1, 'b', 60, 70)]);
    const result = checkHistory(ops);
    expect(result.valid).toBe(false);
    const [failure] = result.failures;
    expect(failure?.key).toBe('k');
    expect(failure?.linearized.map((op) => op.value)).toEqual(['a', 'b']);
    expect(failure?.stateAfter).toBe('b');
    expect(failure?.deadline).toBe(ops[2]);
    expect(failure?.unplaced).toEqual([{ op: ops[2], reason: 'read returned "a" but the register held "b"' }]);
    expect(failure?.window).toEqual({ from: 40, to: 50 });
  });

  it('checkHistory() lists every concurrent candidate that could not go next', () => {
    const ops = historyOf([write(0, 'a', 0, 10), cas(1, 'x', 'y', 20, 40, true), read(2, 'z', 25, 35)]);
    const [failure] = checkHistory(ops).failures;
    expect(failure?.unplaced.map((entry) => entry.reason)).toEqual([
      'cas expected "x" but the register held "a"',
      'read returned "z" but the register held "a"',
    ]);
    expect(failure?.deadline).toBe(ops[2]);
  });
});

describe('checkHistory() step budget', () => {
  const busy = historyOf([
    write(0, 'a', 0, 100), write(1, 'b', 0, 100), write(2, 'c', 0, 100), read(3, 'a', 0, 100), read(4, 'c', 150, 160),
  ]);

  it('checkHistory() answers unknown, never valid, when the step budget runs out', () => {
    const result = checkHistory(busy, { stepsMaxPerKey: 3 });
    expect(result.valid).toBe('unknown');
    expect(result.keys[0]).toMatchObject({ valid: 'unknown', steps: 3 });
    expect(checkHistory(busy).valid).toBe(true);
  });

  it('checkHistory() answers false when one key fails even if another key is unknown', () => {
    const stale = historyOf([
      { ...write(5, 'a', 0, 10), key: 'z' }, { ...write(5, 'b', 20, 30), key: 'z' }, { ...read(6, 'a', 40, 50), key: 'z' },
    ]);
    const result = checkHistory([...busy, ...stale], { stepsMaxPerKey: 8 });
    expect(result.keys.map((k) => k.valid)).toEqual(['unknown', false]);
    expect(result.valid).toBe(false);
  });
});
