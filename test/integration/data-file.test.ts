// Goal: a node whose data file is damaged refuses to start with an error that names the file and
// says what to do, instead of a bare SQLite code. Method: real `raftkv serve` processes on a data
// directory whose raftkv.db is garbage bytes, or a real database cut short; each must exit with
// code 1 and print the path, SQLite's code and the ways out on stderr.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeStorage } from '../../src/storage/node-storage.js';
import { freePorts } from '../support/ports.js';
import { repoRoot, serveArgv } from '../support/serve-process.js';

const root = mkdtempSync(join(tmpdir(), 'raftkv-data-file-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs `raftkv serve` on `dataDir` until it exits (bounded), with its exit code and stderr. */
async function serveUntilExit(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const [port] = await freePorts(1);
  const listen = `127.0.0.1:${port ?? 0}`;
  const argv = serveArgv({ nodeId: 1, listen, peers: new Map([[1, listen]]), dataDir, tickMs: 20, electionTicks: 10 });
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? '', argv.slice(1), { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`raftkv serve on ${dataDir} did not exit within 30 s; stderr: ${stderr}`));
    }, 30_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function dataDirWith(name: string, write: (dbPath: string) => void): { dir: string; dbPath: string } {
  const dir = join(root, name);
  mkdirSync(dir);
  const dbPath = join(dir, 'raftkv.db');
  write(dbPath);
  return { dir, dbPath };
}

function expectNamesTheFile(result: { code: number | null; stderr: string }, dbPath: string, sqliteCode: string): void {
  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`Cannot open the data file "${dbPath}"`);
  expect(result.stderr).toContain(`(${sqliteCode})`);
  expect(result.stderr).toContain('Restore the data directory from a backup');
  // One clear line, not a stack trace.
  expect(result.stderr).not.toContain('    at ');
}

describe('a damaged data file', () => {
  it('raftkv serve on a raftkv.db of garbage bytes exits 1 naming the file, the code and what to do', async () => {
    const { dir, dbPath } = dataDirWith('garbage', (path) => writeFileSync(path, Buffer.alloc(8192, 0x5a)));
    expectNamesTheFile(await serveUntilExit(dir), dbPath, 'SQLITE_NOTADB');
  });

  it('raftkv serve on a truncated raftkv.db exits 1 naming the file, the code and what to do', async () => {
    const { dir, dbPath } = dataDirWith('truncated', (path) => {
      const whole = join(root, 'whole.db');
      NodeStorage.open({ path: whole, kv: { sessionTtlMs: 60_000, sessionsMax: 10 } }).close();
      copyFileSync(whole, path);
      truncateSync(path, 4096);
    });
    expectNamesTheFile(await serveUntilExit(dir), dbPath, 'SQLITE_CORRUPT');
  });
});
