// Two safety nets for network labs, so a test run never leaves namespaces, veths or bridges behind:
// 1. Exit hooks: while a lab is live, `exit`, SIGINT, SIGTERM and SIGHUP run its synchronous
//    teardown (an `exit` handler cannot await). A signal is re-raised afterwards when no one else
//    listens for it, so the process still dies the way the sender meant.
// 2. `cleanupStale()`: removes resources whose name carries the pid of a process that no longer
//    exists (a run killed with SIGKILL, or a crashed CI job). Live runs are never touched, even
//    those of other people on the same machine.
import { runCommand } from './exec.js';
import { creatorPid, namePrefix } from './netns-names.js';

export interface ExitCleanup {
  cleanupSync(): void;
}

const live = new Set<ExitCleanup>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function runAll(): void {
  for (const cleanup of [...live]) {
    live.delete(cleanup);
    cleanup.cleanupSync();
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  uninstall();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  process.on('exit', runAll);
  for (const signal of signals) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('exit', runAll);
  for (const signal of signals) process.off(signal, onSignal);
}

export function rememberOnExit(cleanup: ExitCleanup): void {
  if (live.size === 0) install();
  live.add(cleanup);
}

export function forgetOnExit(cleanup: ExitCleanup): void {
  live.delete(cleanup);
  if (live.size === 0) uninstall(); // so test files that make many labs do not pile up listeners
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else, so it is alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const isStale = (name: string): boolean => {
  const pid = creatorPid(name);
  return pid !== undefined && pid !== process.pid && !isAlive(pid);
};

/** Namespace names from `ip netns list` ("name" or "name (id: 3)" per line). */
export function parseNetnsList(output: string): string[] {
  return output.split('\n').map((line) => line.trim().split(' ')[0] ?? '').filter((name) => name !== '');
}

/** Interface names from `ip -o link show` ("7: name@peer: <FLAGS> ..." per line). */
export function parseLinkNames(output: string): string[] {
  const names: string[] = [];
  for (const match of output.matchAll(/^\d+: ([^:@\s]+)(?:@[^:\s]+)?:/gm)) if (match[1]) names.push(match[1]);
  return names;
}

export interface StaleCleanupReport {
  readonly namespaces: readonly string[];
  readonly links: readonly string[];
}

/** Removes namespaces and links of ours whose creating process is gone; returns what it removed. */
export async function cleanupStale(): Promise<StaleCleanupReport> {
  const namespaces = parseNetnsList(await runCommand(['ip', 'netns', 'list'])).filter(
    (name) => name.startsWith(`${namePrefix}-`) && isStale(name),
  );
  for (const namespace of namespaces) {
    // Orphaned node processes keep a namespace alive after `ip netns del`; they are ours, end them.
    const pids = (await runCommand(['ip', 'netns', 'pids', namespace])).split('\n').filter((pid) => pid !== '');
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await runCommand(['ip', 'netns', 'del', namespace]);
  }
  const candidates = parseLinkNames(await runCommand(['ip', '-o', 'link', 'show'])).filter(
    (name) => name.startsWith(namePrefix) && isStale(name),
  );
  const links: string[] = [];
  for (const link of candidates) {
    // A veth goes with its peer or its namespace, maybe after we listed it: a failed delete of a
    // vanished link is fine, and the report lists only what this call removed.
    const removed = await runCommand(['ip', 'link', 'del', link]).then(() => true, () => false);
    if (removed) links.push(link);
  }
  return { namespaces, links };
}
