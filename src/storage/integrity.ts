/**
 * The structural check a node runs on its database before it serves (docs/node.md): SQLite's
 * `PRAGMA quick_check` reads every page and checks b-tree structure, but not that index entries
 * match their rows (integrity_check does that too, several times slower). A page with a mangled
 * header otherwise lets the node start, report healthy, and then stop with SQLITE_CORRUPT on the
 * first read or write that reaches the page, again after every restart. It cannot see a flipped
 * byte inside a value: the consistency check between replicas does (state-hash.ts).
 * Cost: about 1.5 s for a 129 MB file of 1M keys on a loaded 2-core machine.
 */
import type Database from 'better-sqlite3';
import { DataFileError } from './database.js';

/** Problems reported per check; the rest are counted, not listed. */
const problemsShownMax = 5;

export function checkStructure(sqlite: Database.Database, path: string): void {
  let problems: string[];
  try {
    const rows = sqlite.pragma(`quick_check(${problemsShownMax})`) as { quick_check?: unknown }[];
    problems = rows.map((row) => String(row.quick_check)).filter((text) => text !== 'ok');
  } catch (error) {
    problems = [error instanceof Error ? error.message : String(error)];
  }
  if (problems.length === 0) return;
  // One error for every damaged data file, whether SQLite or quick_check found it: `raftkv serve`
  // prints it as one line naming the file and both ways out.
  throw new DataFileError(path, 'quick_check', new Error(`PRAGMA quick_check found it corrupt: ${problems.join('; ')}`));
}
