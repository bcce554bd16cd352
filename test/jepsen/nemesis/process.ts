// Process faults on node processes: crash (SIGKILL), pause/resume (SIGSTOP/SIGCONT: the node
// freezes mid-whatever, its sockets stay open and peers see silence, the classic "long GC pause"),
// graceful stop (SIGTERM, then SIGKILL after a bound) and restart. A target is a ChildProcess we
// spawned (its 'exit' event tells us when it died) or a bare pid (then we poll, bounded).
import type { ChildProcess } from 'node:child_process';

export type ProcessTarget = ChildProcess | number;

/** How often a bare pid is checked for exit. */
const pidPollMs = 20;
/** Default bound on a graceful stop before SIGKILL. */
export const terminateTimeoutMsDefault = 5_000;
/** Bound on waiting for a SIGKILLed process to be gone (it cannot ignore the signal). */
const killWaitMs = 5_000;

function pidOf(target: ProcessTarget): number {
  const pid = typeof target === 'number' ? target : target.pid;
  if (pid === undefined) throw new Error('Cannot signal a process that never started: no pid');
  return pid;
}

/** True while the target has not exited (a paused process is alive). */
export function isAlive(target: ProcessTarget): boolean {
  if (typeof target !== 'number') return target.exitCode === null && target.signalCode === null;
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signal(target: ProcessTarget, name: NodeJS.Signals): void {
  try {
    process.kill(pidOf(target), name);
  } catch (error) {
    // ESRCH: it already died, which is what every caller here wants to reach anyway.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves true once the target exits, false after `timeoutMs`. */
export function waitForExit(target: ProcessTarget, timeoutMs: number): Promise<boolean> {
  if (!isAlive(target)) return Promise.resolve(true);
  return new Promise((resolve) => {
    let poll: NodeJS.Timeout | undefined;
    const finish = (exited: boolean): void => {
      clearTimeout(deadline);
      if (poll !== undefined) clearInterval(poll);
      if (typeof target !== 'number') target.off('exit', onExit);
      resolve(exited);
    };
    const onExit = (): void => finish(true);
    const deadline = setTimeout(() => finish(!isAlive(target)), timeoutMs);
    if (typeof target === 'number') poll = setInterval(() => !isAlive(target) && finish(true), pidPollMs);
    else target.once('exit', onExit);
  });
}

/** kill -9, and wait until it is gone so a restart never races the old process for its port. */
export async function crash(target: ProcessTarget): Promise<void> {
  // A stopped process still dies on SIGKILL; no SIGCONT needed.
  signal(target, 'SIGKILL');
  if (!(await waitForExit(target, killWaitMs))) {
    throw new Error(`Process ${pidOf(target)} survived SIGKILL for ${killWaitMs} ms`);
  }
}

export function pause(target: ProcessTarget): void {
  signal(target, 'SIGSTOP');
}

export function resume(target: ProcessTarget): void {
  signal(target, 'SIGCONT');
}

export interface TerminateResult {
  /** False when the process ignored SIGTERM for `timeoutMs` and had to be killed. */
  readonly graceful: boolean;
}

/** SIGTERM, then SIGKILL after `timeoutMs`. Resumes it first: a stopped process cannot exit. */
export async function terminate(target: ProcessTarget, timeoutMs = terminateTimeoutMsDefault): Promise<TerminateResult> {
  signal(target, 'SIGTERM');
  signal(target, 'SIGCONT');
  if (await waitForExit(target, timeoutMs)) return { graceful: true };
  await crash(target);
  return { graceful: false };
}

export type StopHow = 'crash' | 'terminate';

/**
 * Stops the target (crash by default) if it still runs, then calls `start` for its replacement.
 * `start` belongs to the caller because only it knows the argv, data directory and namespace.
 */
export async function restart<T extends ProcessTarget>(target: T, start: () => Promise<T> | T, how: StopHow = 'crash'): Promise<T> {
  if (isAlive(target)) {
    if (how === 'crash') await crash(target);
    else await terminate(target);
  }
  return start();
}
