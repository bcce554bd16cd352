// One `raftkv serve` process as tests run it: argv built in one place, stdout and stderr appended
// to a log file (kept across restarts), an `exited` promise, and a start that waits until the node
// answers (aborting at once if the process dies). The spawner is a parameter, so the integration
// harness runs nodes directly on loopback and the Jepsen runs run them inside network namespaces.
// Every process started here is SIGKILLed if the test process exits without stopping it.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pollUntil, PollAborted } from './poll.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The server entry point; a test may run a wrapper script instead (e.g. a deliberately broken build). */
export const serverEntryDefault = 'src/cli/raftkv.ts';

export interface ServeFlags {
  readonly nodeId: number;
  readonly listen: string;
  /** Defaults to `listen`. */
  readonly advertise?: string;
  /** The peer port (`--peer-listen`); the server's default is `listen`'s port + 1000. */
  readonly peerListen?: string;
  /** id -> member address (`client` or `client@peer`), as this node should dial each founding member. */
  readonly peers: ReadonlyMap<number, string>;
  readonly dataDir: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  /** Start empty and wait to be added (`--join`). */
  readonly join?: boolean;
  /** Further `raftkv serve` flags. Without `--groups` among them the node runs unsharded (`--groups 0`). */
  readonly extra?: readonly string[];
}

/** argv for `node --import tsx <entry> serve ...`, run with cwd = repoRoot. */
export function serveArgv(flags: ServeFlags, entry = serverEntryDefault): string[] {
  const peers = [...flags.peers].map(([id, address]) => `${id}=${address}`).join(',');
  return [
    process.execPath, '--import', 'tsx', entry, 'serve',
    '--node-id', String(flags.nodeId), '--listen', flags.listen, '--peers', peers, '--data-dir', flags.dataDir,
    '--tick-ms', String(flags.tickMs), '--election-ticks', String(flags.electionTicks),
    ...(flags.advertise === undefined ? [] : ['--advertise', flags.advertise]),
    ...(flags.peerListen === undefined ? [] : ['--peer-listen', flags.peerListen]),
    ...(flags.join === true ? ['--join'] : []),
    // Suites that test one group say so: the server's default is a sharded cluster.
    ...(flags.extra?.includes('--groups') === true ? [] : ['--groups', '0']),
    ...(flags.extra ?? []),
  ];
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export type Spawner = (argv: readonly string[], options: SpawnOptions) => ChildProcess;

export const directSpawner: Spawner = (argv, options) => spawn(argv[0] ?? '', argv.slice(1), options);

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const logTailLines = 15;

export function logTail(logPath: string, lines = logTailLines): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export class ServeProcess {
  readonly exited: Promise<ExitInfo>;

  private constructor(readonly child: ChildProcess, readonly logPath: string) {
    live.add(child);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }));
  }

  /** Spawns the process with its output appended to `logPath` (a banner line marks each start). */
  static spawn(argv: readonly string[], logPath: string, spawner: Spawner = directSpawner): ServeProcess {
    const log = openSync(logPath, 'a');
    writeSync(log, `--- ${new Date().toISOString()} start: ${argv.slice(3).join(' ')}\n`);
    try {
      return new ServeProcess(spawner(argv, { cwd: repoRoot, stdio: ['ignore', log, log] }), logPath);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls `probe` until it answers; fails at once, with the log tail, if the process exits first. */
  async waitUntilServing<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    return pollUntil(`${what} (log ${this.logPath})`, timeoutMs, () => {
      if (!this.isRunning()) {
        const how = this.child.signalCode ?? String(this.child.exitCode);
        throw new PollAborted(`${what}: the process exited during start (${how}); log ${this.logPath}:\n${logTail(this.logPath)}`);
      }
      return probe();
    });
  }

  /** Sends `signal` and waits (bounded) for the exit; null when it did not exit in time. */
  async stop(signal: NodeJS.Signals, timeoutMs: number): Promise<ExitInfo | null> {
    if (this.isRunning()) this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const exit = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return exit;
  }
}
