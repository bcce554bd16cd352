// Goal: ListAlarms and DisarmAlarm as the Cluster service serves them: a node lists its own alarms
// and the NOSPACE alarms it learned from peers (unless localOnly), disarm acts on its own only,
// and a bad kind is INVALID_ARGUMENT naming the field.
import { describe, expect, it } from 'vitest';
import { KvError } from '../../../src/shared/errors.js';
import { groupId, nodeId, type NodeId } from '../../../src/shared/ids.js';
import { createRootLogger } from '../../../src/shared/logger.js';
import { AlarmCalls } from '../../../src/server/alarm-calls.js';
import { Alarms, type Alarm } from '../../../src/server/alarms.js';

function setup() {
  const alarms = new Alarms();
  alarms.raise({ kind: 'NOSPACE', reason: 'quota', raisedAtMs: 5 });
  alarms.raise({ kind: 'CORRUPT', group: groupId(2), reason: 'hash', raisedAtMs: 6 });
  const peers = new Map<NodeId, readonly Alarm[]>([[nodeId(3), [{ kind: 'NOSPACE', reason: 'peer quota', raisedAtMs: 7 }, { kind: 'CORRUPT', group: groupId(4), reason: 'peer hash', raisedAtMs: 8 }]]]);
  const calls = new AlarmCalls({ self: nodeId(1), alarms, quota: { quotaBytes: 100, usedBytes: () => 120 }, peerAlarms: () => peers, log: createRootLogger('silent') });
  return { alarms, calls };
}

const kinds = (reply: Record<string, unknown>): string[] => (reply['alarms'] as Record<string, unknown>[]).map((a) => `${String(a['nodeId'])}:${String(a['kind'])}`);

describe('AlarmCalls', () => {
  it('list() gives its own alarms, then peers\' NOSPACE ones, with quota and usage', () => {
    const { calls } = setup();
    const reply = calls.list({});
    expect(kinds(reply)).toEqual(['1:NOSPACE', '1:CORRUPT', '3:NOSPACE']);
    expect(reply).toMatchObject({ nodeId: '1', quotaBytes: '100', usedBytes: '120' });
    expect((reply['alarms'] as Record<string, unknown>[])[1]).toMatchObject({ hasGroup: true, groupId: '2', reason: 'hash', raisedAtMs: '6' });
    expect(kinds(calls.list({ localOnly: true }))).toEqual(['1:NOSPACE', '1:CORRUPT']);
  });

  it('disarm() clears its own alarms by kind or group and answers what is left', () => {
    const { calls, alarms } = setup();
    expect(calls.disarm({ kind: 'CORRUPT', hasGroup: true, groupId: '3' })).toMatchObject({ disarmed: '0' });
    expect(calls.disarm({ kind: 'NOSPACE' })).toMatchObject({ disarmed: '1' });
    expect(alarms.list().map((a) => a.kind)).toEqual(['CORRUPT']);
    expect(calls.disarm({})).toMatchObject({ disarmed: '1', alarms: [] });
  });

  it('disarm() refuses an unknown kind with INVALID_ARGUMENT on field kind', () => {
    const { calls } = setup();
    let error: unknown;
    try {
      calls.disarm({ kind: 'FULL' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KvError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'kind' } });
    expect((error as Error).message).toContain('kind must be empty (every kind) or one of NOSPACE, CORRUPT, got "FULL"');
  });
});
