// Goal: `kvctl alarm list` shows each alarm once although several nodes report it (a node also
// lists the NOSPACE alarms it learned from its peers), preferring the raising node's own report.
import { describe, expect, it } from 'vitest';
import type { NodeAlarms } from '../../../src/client/kv-client.js';
import { distinctAlarms } from '../../../src/cli/commands/alarm.js';

const answer = (nodeId: number, alarms: NodeAlarms['alarms']): NodeAlarms => ({ endpoint: `n${nodeId}`, nodeId, alarms, quotaBytes: 0, usedBytes: 0, disarmed: 0 });

describe('distinctAlarms()', () => {
  it('lists each (node, kind, group) once, the own report first, sorted by node', () => {
    const learned = { nodeId: 3, kind: 'NOSPACE', group: null, reason: 'old', raisedAtMs: 1 };
    const own = { nodeId: 3, kind: 'NOSPACE', group: null, reason: 'own', raisedAtMs: 1 };
    const corrupt = { nodeId: 1, kind: 'CORRUPT', group: 2, reason: 'hash', raisedAtMs: 2 };
    const alarms = distinctAlarms([answer(1, [corrupt, learned]), answer(2, [learned]), answer(3, [own])]);
    expect(alarms).toEqual([corrupt, own]);
  });
});
