/**
 * Keeps a node's alarms in `alarms.json` in its data directory, so an alarm survives a restart:
 * it stays raised until an operator disarms it, as in etcd. Written atomically (temporary file,
 * fsync, rename, fsync of the directory), so a crash leaves the old list or the new one, never a
 * torn file.
 *
 * Local, not replicated through Raft as etcd does: an alarm here is about this node (its disk, or
 * its replica of one group), a node hosts replicas of many groups, and a NOSPACE node must still
 * be able to record its alarm when the groups cannot take writes. Other nodes learn NOSPACE alarms
 * by asking (peer-alarms.ts).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { groupId } from '../shared/ids.js';
import { ALARM_KINDS, Alarms, type Alarm } from './alarms.js';
import { ConfigError } from './config.js';

export const ALARMS_FILE = 'alarms.json';
const FORMAT_VERSION = 1;

/** Loads `dataDir/alarms.json` (none yet: no alarms) into a new Alarms that saves every change back. */
export function openAlarms(dataDir: string, onSaveError: (error: unknown) => void): Alarms {
  const path = join(dataDir, ALARMS_FILE);
  const alarms = new Alarms();
  for (const alarm of loadAlarms(path)) alarms.raise(alarm);
  alarms.onChange((list) => {
    // A failed save (the disk may be the very thing that is full) keeps the alarm in memory.
    try {
      saveAlarms(path, list);
    } catch (error) {
      onSaveError(error);
    }
  });
  return alarms;
}

/** The alarms saved at `path`; a file that cannot be read as alarms stops the start (ConfigError). */
export function loadAlarms(path: string): Alarm[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    return parseAlarms(JSON.parse(text));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`Cannot load the alarms in "${path}": ${why}; fix or remove the file (removing it disarms every alarm)`);
  }
}

function parseAlarms(value: unknown): Alarm[] {
  const file = value as { version?: unknown; alarms?: unknown } | null;
  if (typeof file !== 'object' || file === null || file.version !== FORMAT_VERSION || !Array.isArray(file.alarms)) {
    throw new Error(`expected {"version": ${FORMAT_VERSION}, "alarms": [...]}`);
  }
  return file.alarms.map((entry: unknown, i) => {
    const a = entry as Record<string, unknown> | null;
    const kind = ALARM_KINDS.find((k) => k === a?.['kind']);
    if (a === null || kind === undefined) throw new Error(`alarms[${i}].kind must be one of ${ALARM_KINDS.join(', ')}`);
    if (typeof a['reason'] !== 'string' || typeof a['raisedAtMs'] !== 'number') throw new Error(`alarms[${i}] needs a reason and raisedAtMs`);
    const rawGroup = a['group'];
    if (rawGroup !== undefined && rawGroup !== null && !(Number.isSafeInteger(rawGroup) && Number(rawGroup) >= 0)) throw new Error(`alarms[${i}].group must be a group id`);
    const group = typeof rawGroup === 'number' ? groupId(rawGroup) : undefined;
    return { kind, ...(group === undefined ? {} : { group }), reason: a['reason'], raisedAtMs: a['raisedAtMs'] };
  });
}

export function saveAlarms(path: string, alarms: readonly Alarm[]): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ version: FORMAT_VERSION, alarms }, null, 2)}\n`, { mode: 0o600 });
  fsyncPath(temporary);
  renameSync(temporary, path);
  fsyncPath(dirname(path));
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
