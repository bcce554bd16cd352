// Goal: alarms survive a restart (issue #14 item 6): every change is saved to alarms.json in the
// data dir, atomically, and loaded on start; a file that is not a list of alarms stops the start
// with a message naming it, rather than silently dropping an alarm.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupId } from '../../../src/shared/ids.js';
import { ALARMS_FILE, openAlarms } from '../../../src/server/alarm-store.js';
import { ConfigError } from '../../../src/server/config.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'raftkv-alarms-'));
const failOnSave = (error: unknown): never => {
  throw error;
};

describe('openAlarms()', () => {
  it('starts empty without a file, and reloads raised alarms after a restart', () => {
    const dataDir = dir();
    const alarms = openAlarms(dataDir, failOnSave);
    expect(alarms.list()).toEqual([]);
    alarms.raise({ kind: 'NOSPACE', reason: 'quota', raisedAtMs: 5 });
    alarms.raise({ kind: 'CORRUPT', group: groupId(0), reason: 'hash differs', raisedAtMs: 6 });
    expect(existsSync(join(dataDir, `${ALARMS_FILE}.tmp`))).toBe(false);
    const reopened = openAlarms(dataDir, failOnSave);
    expect(reopened.list()).toEqual(alarms.list());
    expect(reopened.active('CORRUPT', groupId(0))?.reason).toBe('hash differs');
  });

  it('saves disarms too', () => {
    const dataDir = dir();
    const alarms = openAlarms(dataDir, failOnSave);
    alarms.raise({ kind: 'NOSPACE', reason: 'quota', raisedAtMs: 5 });
    alarms.disarm('NOSPACE');
    expect(openAlarms(dataDir, failOnSave).list()).toEqual([]);
  });

  it('reports a failed save and keeps the alarm in memory', () => {
    const dataDir = join(dir(), 'gone');
    const errors: unknown[] = [];
    const alarms = openAlarms(dataDir, (error) => errors.push(error));
    alarms.raise({ kind: 'NOSPACE', reason: 'quota', raisedAtMs: 5 });
    expect(errors).toHaveLength(1);
    expect(alarms.active('NOSPACE')?.reason).toBe('quota');
  });

  it.each([
    { text: 'not json', message: /Cannot load the alarms in ".*alarms.json": .*; fix or remove the file/ },
    { text: '{"version":2,"alarms":[]}', message: /expected \{"version": 1/ },
    { text: '{"version":1,"alarms":[{"kind":"FULL","reason":"x","raisedAtMs":1}]}', message: /alarms\[0\].kind must be one of NOSPACE, CORRUPT/ },
    { text: '{"version":1,"alarms":[{"kind":"CORRUPT","group":-1,"reason":"x","raisedAtMs":1}]}', message: /alarms\[0\].group must be a group id/ },
  ])('refuses to start from $text', ({ text, message }) => {
    const dataDir = dir();
    writeFileSync(join(dataDir, ALARMS_FILE), text);
    expect(() => openAlarms(dataDir, failOnSave)).toThrow(ConfigError);
    expect(() => openAlarms(dataDir, failOnSave)).toThrow(message);
    expect(readFileSync(join(dataDir, ALARMS_FILE), 'utf8')).toBe(text);
  });
});
