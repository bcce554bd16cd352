import { describe, expect, it } from 'vitest';
import { Alarms } from '../../../src/server/alarms.js';
import { groupId } from '../../../src/shared/ids.js';

describe('Alarms', () => {
  it('raise() keeps one alarm per kind and group, the first one', () => {
    const alarms = new Alarms();
    expect(alarms.raise({ kind: 'CORRUPT', group: groupId(3), reason: 'a', raisedAtMs: 1 })).toBe(true);
    expect(alarms.raise({ kind: 'CORRUPT', group: groupId(3), reason: 'b', raisedAtMs: 2 })).toBe(false);
    expect(alarms.list()).toEqual([{ kind: 'CORRUPT', group: 3, reason: 'a', raisedAtMs: 1 }]);
  });

  it('active() finds a group alarm or a node-wide one, not another group', () => {
    const alarms = new Alarms();
    alarms.raise({ kind: 'CORRUPT', group: groupId(3), reason: 'a', raisedAtMs: 1 });
    expect(alarms.active('CORRUPT', groupId(3))?.reason).toBe('a');
    expect(alarms.active('CORRUPT', groupId(4))).toBeUndefined();
    alarms.raise({ kind: 'NOSPACE', reason: 'quota', raisedAtMs: 1 });
    expect(alarms.active('NOSPACE', groupId(4))?.reason).toBe('quota');
  });

  it('disarm() removes by kind and group and tells listeners', () => {
    const alarms = new Alarms();
    const seen: number[] = [];
    alarms.onChange((list) => seen.push(list.length));
    alarms.raise({ kind: 'CORRUPT', group: groupId(1), reason: 'a', raisedAtMs: 1 });
    alarms.raise({ kind: 'CORRUPT', group: groupId(2), reason: 'b', raisedAtMs: 1 });
    alarms.raise({ kind: 'NOSPACE', reason: 'q', raisedAtMs: 1 });
    expect(alarms.disarm('CORRUPT', groupId(1))).toBe(1);
    expect(alarms.disarm('NOSPACE')).toBe(1);
    expect(alarms.disarm('NOSPACE')).toBe(0);
    expect(alarms.list().map((a) => a.group)).toEqual([2]);
    expect(seen).toEqual([1, 2, 3, 2, 1]);
  });
});
