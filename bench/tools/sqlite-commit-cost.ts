/**
 * What one small SQLite transaction costs on this machine: wall time and this process's CPU per
 * commit of a one-row insert, in WAL mode, for each `synchronous` setting, on the disk under test
 * and on /dev/shm (where fsync costs next to nothing). raftkv's Ready loop commits such a
 * transaction on the event loop for every persist and every apply, so wall minus CPU is time the
 * loop spends blocked.
 *
 *   npx tsx bench/tools/sqlite-commit-cost.ts [--dir /tmp] [--commits 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

interface Cost {
  readonly synchronous: string;
  readonly dir: string;
  readonly wallUs: number;
  readonly cpuUs: number;
}

function measure(parent: string, synchronous: string, commits: number): Cost {
  const dir = mkdtempSync(join(parent, 'sqlite-commit-'));
  try {
    const db = new Database(join(dir, 't.db'));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.exec('CREATE TABLE log (idx INTEGER PRIMARY KEY, term INTEGER, data BLOB)');
    const insert = db.prepare('INSERT INTO log VALUES (?, ?, ?)');
    const payload = Buffer.alloc(200, 7);
    const commit = db.transaction((i: number) => insert.run(i, 1, payload));
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 1; i <= commits; i++) commit(i);
    const wallUs = ((performance.now() - started) * 1000) / commits;
    const used = process.cpuUsage(cpu);
    db.close();
    return { synchronous, dir: parent, wallUs: Math.round(wallUs), cpuUs: Math.round((used.user + used.system) / commits) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({ options: { dir: { type: 'string', default: '/tmp' }, commits: { type: 'string', default: '2000' } } });
for (const synchronous of ['FULL', 'NORMAL']) {
  for (const dir of [values.dir, '/dev/shm']) {
    const cost = measure(dir, synchronous, Number(values.commits));
    console.log(`synchronous=${cost.synchronous.padEnd(6)} ${cost.dir.padEnd(10)} wall ${String(cost.wallUs).padStart(5)} µs/commit, CPU ${String(cost.cpuUs).padStart(4)} µs/commit`);
  }
}
