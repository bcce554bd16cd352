/**
 * Owner-only permissions for a node's data: the directory 0700, every file in it 0600, whatever
 * the umask. The database, its WAL, snapshots and the alarm file hold every key and value, so no
 * other local user may read them. New files get their mode where they are created (and the
 * directory's 0700 covers files SQLite makes with its own default); a data directory from an
 * older version, made under a umask of 022, is tightened here at start, with one info line.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';

export const DATA_DIR_MODE = 0o700;

/** Creates `dataDir` (0700) or tightens it and everything in it; returns how many paths changed. */
export function secureDataDir(dataDir: string, log: Logger): number {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const tightened: string[] = [];
  tighten(dataDir, tightened);
  if (tightened.length > 0) {
    log.info({ dataDir, paths: tightened.length, first: tightened.slice(0, 5) }, 'data dir was readable by other users; tightened it to owner-only');
  }
  return tightened.length;
}

function tighten(path: string, tightened: string[]): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return; // chmod would change the target, which we did not make
  // Only take group and other bits away: an owner who made a file read-only keeps it so.
  if ((stat.mode & 0o077) !== 0) {
    chmodSync(path, stat.mode & 0o700);
    tightened.push(path);
  }
  if (stat.isDirectory()) for (const entry of readdirSync(path)) tighten(join(path, entry), tightened);
}
