// Goal: the admission rule of the space quota (issue #14 item 6): which writes a node refuses with
// NOSPACE, from its own alarm, its own quota, or another replica's alarm, and which it always
// admits (reads, deletes) so an operator can make room. Method: a table over command bodies with a
// real Alarms registry, a fake usage counter and a fake view of the peers' alarms.
import { describe, expect, it } from 'vitest';
import { KvError } from '../../../src/shared/errors.js';
import { groupId, nodeId, type NodeId } from '../../../src/shared/ids.js';
import { createRootLogger } from '../../../src/shared/logger.js';
import type { KvCommandBody } from '../../../src/storage/kv-command.js';
import { Alarms, type Alarm } from '../../../src/server/alarms.js';
import { SpaceQuota } from '../../../src/server/space-quota.js';
import { addedBytes, addsData, WriteAdmission } from '../../../src/server/write-admission.js';

const b = (text: string): Uint8Array => new TextEncoder().encode(text);
const put: KvCommandBody = { type: 'put', key: b('k'), value: b('value') };
const del: KvCommandBody = { type: 'delete', key: b('k') };
const batch: KvCommandBody = { type: 'batchPut', items: [{ key: b('a'), value: b('1') }, { key: b('bb'), value: b('22') }] };
const txnDeletes: KvCommandBody = { type: 'txn', compares: [], success: [{ type: 'delete', key: b('k') }, { type: 'get', key: b('j') }], failure: [] };
// compare-and-swap: a compare, then a put in the success branch.
const cas: KvCommandBody = { type: 'txn', compares: [{ key: b('k'), target: 'version', op: '=', number: 3 }], success: [{ type: 'put', key: b('k'), value: b('v') }], failure: [] };
const putOnFailure: KvCommandBody = { type: 'txn', compares: [], success: [], failure: [{ type: 'put', key: b('k'), value: b('v') }] };

const self = nodeId(1);
const group = groupId(5);
const log = createRootLogger('silent');

function setup(options: { usedBytes?: number; quotaBytes?: number; peer?: Partial<Record<number, Alarm>> } = {}) {
  const alarms = new Alarms();
  const usage = { bytes: options.usedBytes ?? 0 };
  const quota = new SpaceQuota({ quotaBytes: options.quotaBytes ?? 1000, usedBytes: () => usage.bytes, alarms, log, nowMs: () => 0 });
  const admission = new WriteAdmission({ self, alarms, quota, peerAlarm: (node: NodeId) => options.peer?.[node] });
  const refusal = (body: KvCommandBody, replicas = [self, nodeId(2), nodeId(3)]): KvError | null => {
    try {
      admission.check(group, replicas, body);
      return null;
    } catch (error) {
      if (error instanceof KvError) return error;
      throw error;
    }
  };
  return { alarms, quota, refusal, usage };
}

const noSpace: Alarm = { kind: 'NOSPACE', reason: 'the database uses 2000 bytes, at or over its quota of 1000 bytes (--quota-bytes)', raisedAtMs: 1 };

describe('addsData() and addedBytes()', () => {
  it.each([
    { name: 'put', body: put, adds: true, bytes: 6 },
    { name: 'batch put', body: batch, adds: true, bytes: 6 },
    { name: 'compare-and-swap', body: cas, adds: true, bytes: 2 },
    { name: 'txn with a put in its else branch', body: putOnFailure, adds: true, bytes: 2 },
    { name: 'delete', body: del, adds: false, bytes: 0 },
    { name: 'txn that only deletes and reads', body: txnDeletes, adds: false, bytes: 0 },
  ])('$name: adds data $adds, $bytes bytes', ({ body, adds, bytes }) => {
    expect(addsData(body)).toBe(adds);
    expect(addedBytes(body)).toBe(bytes);
  });
});

describe('WriteAdmission.check()', () => {
  it('admits every write while no replica is out of space', () => {
    const { refusal } = setup({ usedBytes: 100 });
    for (const body of [put, batch, cas, del, txnDeletes]) expect(refusal(body)).toBeNull();
  });

  it('refuses writes that add data under this node\'s NOSPACE alarm, with the reason and current usage', () => {
    const { alarms, refusal } = setup({ usedBytes: 900 });
    alarms.raise(noSpace);
    for (const body of [put, batch, cas, putOnFailure]) expect(refusal(body)?.code).toBe('NOSPACE');
    expect(refusal(put)?.message).toBe(
      'Cannot accept the write: node 1 is out of space (NOSPACE alarm: the database uses 2000 bytes, at or over its quota of 1000 bytes (--quota-bytes); it uses 900 bytes now)',
    );
  });

  it('admits deletes and txns that only delete or read under a NOSPACE alarm', () => {
    const { alarms, refusal } = setup();
    alarms.raise(noSpace);
    expect(refusal(del)).toBeNull();
    expect(refusal(txnDeletes)).toBeNull();
  });

  it('raises NOSPACE itself when the write would reach the quota, and keeps refusing', () => {
    const { alarms, refusal, usage } = setup({ usedBytes: 995 });
    expect(refusal(put)?.message).toContain('a write of 6 bytes would reach its quota of 1000 bytes');
    expect(alarms.active('NOSPACE')?.kind).toBe('NOSPACE');
    usage.bytes = 10;
    expect(refusal(put)?.code).toBe('NOSPACE');
  });

  it('counts the writes admitted since the last measurement', () => {
    const { refusal } = setup({ usedBytes: 985 });
    expect(refusal(put)).toBeNull();
    expect(refusal(put)).toBeNull();
    expect(refusal(put)?.code).toBe('NOSPACE');
  });

  it('refuses on another replica\'s NOSPACE alarm, naming that node; not for a node outside the group', () => {
    const { refusal } = setup({ peer: { 3: noSpace } });
    expect(refusal(put)?.message).toContain('node 3 is out of space');
    expect(refusal(del)).toBeNull();
    expect(refusal(put, [self, nodeId(2), nodeId(4)])).toBeNull();
  });

  it('admits everything with the quota off (0), unless an alarm is raised', () => {
    const { alarms, refusal } = setup({ usedBytes: 10 ** 12, quotaBytes: 0 });
    expect(refusal(put)).toBeNull();
    alarms.raise(noSpace);
    expect(refusal(put)?.code).toBe('NOSPACE');
  });
});

describe('SpaceQuota.check()', () => {
  it('raises NOSPACE at the quota, and again after a disarm while still over it', () => {
    const { alarms, quota, usage } = setup({ usedBytes: 999 });
    quota.check();
    expect(alarms.list()).toEqual([]);
    usage.bytes = 1000;
    quota.check();
    expect(alarms.active('NOSPACE')?.reason).toBe('the database uses 1000 bytes, at or over its quota of 1000 bytes (--quota-bytes)');
    alarms.disarm('NOSPACE');
    quota.check();
    expect(alarms.list().map((a) => a.kind)).toEqual(['NOSPACE']);
    alarms.disarm();
    usage.bytes = 10;
    quota.check();
    expect(alarms.list()).toEqual([]);
  });
});
