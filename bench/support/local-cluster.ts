/**
 * Starts a local raftkv cluster of real processes for benchmarks (from source, through tsx), each
 * with a fresh data directory under the system temp dir, and stops and removes it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LocalCluster {
  readonly endpoints: string[];
  readonly pids: number[];
  readonly dir: string;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  readonly nodes: number;
  readonly extraFlags?: readonly string[];
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'raftkv-bench-'));
  const ports: number[] = [];
  for (let i = 0; i < options.nodes; i++) ports.push(await freePort());
  const endpoints = ports.map((p) => `127.0.0.1:${p}`);
  const peers = endpoints.map((e, i) => `${i + 1}=${e}`).join(',');
  const children: ChildProcess[] = endpoints.map((endpoint, i) => {
    const log = openSync(join(dir, `n${i + 1}.log`), 'a');
    const args = ['--import', 'tsx', 'src/cli/raftkv.ts', 'serve', '--node-id', String(i + 1), '--listen', endpoint,
      '--peers', peers, '--data-dir', join(dir, `n${i + 1}`), '--log-level', 'warn', ...(options.extraFlags ?? [])];
    return spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', log, log] });
  });
  const stop = async (): Promise<void> => {
    await Promise.all(children.map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  return { endpoints, pids: children.map((c) => c.pid ?? 0), dir, stop };
}
