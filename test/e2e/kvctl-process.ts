// Runs `kvctl` the way a user does: a subprocess (`node --import tsx src/cli/kvctl.ts ...`) with its
// own stdin, stdout, stderr and exit code. Endpoints go through KVCTL_ENDPOINTS unless a test passes
// --endpoints itself.
import { spawn } from 'node:child_process';
import { repoRoot } from '../integration/cluster.js';

export interface KvctlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface KvctlOptions {
  readonly endpoints?: readonly string[];
  /** Written to stdin, which is then closed. */
  readonly input?: string | Uint8Array;
  readonly timeoutMs?: number;
  /** Further environment variables (KVCTL_PASSWORD, ...). */
  readonly env?: Readonly<Record<string, string>>;
}

const timeoutMsDefault = 30_000;

export function kvctl(args: readonly string[], options: KvctlOptions = {}): Promise<KvctlResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(options.endpoints === undefined ? {} : { KVCTL_ENDPOINTS: options.endpoints.join(',') }), ...options.env };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/kvctl.ts', ...args], { cwd: repoRoot, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kvctl ${args.join(' ')} did not exit within ${options.timeoutMs ?? timeoutMsDefault} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? timeoutMsDefault);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The lines of a table, split into trimmed cells (two or more spaces separate columns). */
export function tableRows(stdout: string): string[][] {
  return stdout.trimEnd().split('\n').map((line) => line.split(/ {2,}/));
}

/** Every column starts at the same offset on every line of the table (it is aligned). */
export function isAligned(stdout: string, headers: readonly string[]): boolean {
  const lines = stdout.trimEnd().split('\n');
  const header = lines[0] ?? '';
  const starts = headers.map((h) => header.indexOf(h));
  return lines.slice(1).every((line) => starts.every((start) => start === 0 || (line[start - 1] === ' ' && line[start - 2] === ' ') || line.length <= start));
}

/** `raftkv restore ARGS` as a subprocess (offline: it talks to no node). */
export function raftkvRestore(args: readonly string[]): Promise<KvctlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/raftkv.ts', 'restore', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
