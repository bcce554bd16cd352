// Every shell-out of the fault layer goes through here: argv arrays only (no shell, so no quoting
// bugs or injection through names), a timeout on each call (a wedged `ip` must fail the test, not
// hang it), and errors that name the command and quote its stderr so a CI log explains itself.
import { execFile, execFileSync, type ExecFileException } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Default per-command bound; `ip`/`iptables` normally answer in milliseconds. */
export const commandTimeoutMsDefault = 10_000;
/** Bound on captured output; our commands print little, a runaway one fails instead of growing. */
const outputBytesMax = 4 * 1024 * 1024;

export interface CommandOptions {
  readonly timeoutMs?: number;
  /** Written to the command's stdin, then stdin is closed (for `iptables-restore`). */
  readonly input?: string;
}

export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly argv: readonly string[],
    readonly stderr: string,
    cause: string,
  ) {
    super(`Command failed: "${argv.join(' ')}": ${cause}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
}

function describeFailure(error: ExecFileException): string {
  if (error.killed === true) return `killed after timeout (signal ${String(error.signal)})`;
  if (typeof error.code === 'number') return `exit code ${error.code}`;
  if (typeof error.code === 'string') return error.code;
  return error.message;
}

/** Runs `argv[0]` with the rest as arguments; resolves with stdout, rejects with CommandError. */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new CommandError(argv, '', 'empty argv'));
  const timeout = options.timeoutMs ?? commandTimeoutMsDefault;
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout, killSignal: 'SIGKILL', maxBuffer: outputBytesMax, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new CommandError(argv, stderr, describeFailure(error)));
        else resolve(stdout);
      },
    );
    // A command that exits before reading its input makes the write fail with EPIPE; its exit
    // status already reports the failure through the callback above.
    child.stdin?.on('error', () => undefined);
    // Always close stdin: a command that reads it would otherwise wait for the timeout.
    if (options.input === undefined) child.stdin?.end();
    else child.stdin?.end(options.input);
  });
}

/**
 * Synchronous twin for `process.on('exit')` handlers, where nothing asynchronous runs. Returns
 * false instead of throwing: exit-time cleanup is best effort and must try every step.
 */
export function runCommandSync(argv: readonly string[], timeoutMs = commandTimeoutMsDefault): boolean {
  const [file, ...args] = argv;
  if (file === undefined) return false;
  try {
    execFileSync(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when `name` is an executable file in one of the PATH directories (or sbin, for `ip`). */
export function hasExecutable(name: string): boolean {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
