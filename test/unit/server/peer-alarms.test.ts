// Goal: a peer's ListAlarms answer is network input: decodeAlarms() keeps well-formed alarms and
// drops the rest instead of asserting on them.
import { describe, expect, it } from 'vitest';
import { decodeAlarms } from '../../../src/server/peer-alarms.js';

describe('decodeAlarms()', () => {
  it('keeps well-formed alarms, node-wide or of a group', () => {
    expect(decodeAlarms([
      { nodeId: '3', kind: 'NOSPACE', hasGroup: false, groupId: '0', reason: 'quota', raisedAtMs: '17' },
      { nodeId: '3', kind: 'CORRUPT', hasGroup: true, groupId: '4', reason: 'hash', raisedAtMs: '18' },
    ])).toEqual([
      { kind: 'NOSPACE', reason: 'quota', raisedAtMs: 17 },
      { kind: 'CORRUPT', group: 4, reason: 'hash', raisedAtMs: 18 },
    ]);
  });

  it.each([
    { name: 'not a list', value: { kind: 'NOSPACE' } },
    { name: 'an unknown kind', value: [{ kind: 'FULL', groupId: '0', raisedAtMs: '1' }] },
    { name: 'an unsafe group id', value: [{ kind: 'CORRUPT', hasGroup: true, groupId: '99999999999999999999', raisedAtMs: '1' }] },
    { name: 'a negative time', value: [{ kind: 'NOSPACE', groupId: '0', raisedAtMs: '-1.5' }] },
  ])('drops $name', ({ value }) => {
    expect(decodeAlarms(value)).toEqual([]);
  });
});
