// Goal: each process fault has the effect it is named for on a real process. Method: small `node
// -e` children; the kernel's own view (/proc/<pid>/stat state letter) tells paused from running.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { crash, isAlive, pause, restart, resume, terminate, waitForExit } from './process.js';

const children: ChildProcess[] = [];

/** A child that idles forever; with `ignoreTerm` it survives SIGTERM. Resolves once it runs. */
async function idler(ignoreTerm = false): Promise<ChildProcess> {
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('up');`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child;
}

/** R running, S sleeping, T stopped, Z zombie (see proc(5)). */
function stateOf(pid: number | undefined): string {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return check();
}

afterEach(() => {
  for (const child of children.splice(0)) if (isAlive(child)) child.kill('SIGKILL');
});

describe('process faults', () => {
  it('pause() stops the process and resume() lets it run again', async () => {
    const child = await idler();
    pause(child);
    expect(await eventually(() => stateOf(child.pid) === 'T')).toBe(true);
    resume(child);
    expect(await eventually(() => stateOf(child.pid) !== 'T')).toBe(true);
  });

  it('crash() kills with SIGKILL and returns once the process is gone, even when paused', async () => {
    const child = await idler();
    pause(child);
    await crash(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(isAlive(child)).toBe(false);
  });

  it('crash() on a bare pid polls until the pid is gone', async () => {
    const child = await idler();
    const pid = child.pid ?? 0;
    await crash(pid);
    expect(await waitForExit(child, 1_000)).toBe(true);
  });

  it('terminate() is graceful when the process honours SIGTERM', async () => {
    const child = await idler();
    expect(await terminate(child, 2_000)).toEqual({ graceful: true });
    expect(child.signalCode).toBe('SIGTERM');
  });

  it('terminate() falls back to SIGKILL after its timeout', async () => {
    const child = await idler(true);
    expect(await terminate(child, 200)).toEqual({ graceful: false });
    expect(child.signalCode).toBe('SIGKILL');
  });

  it('restart() stops the old process and returns what the start function made', async () => {
    const old = await idler();
    const fresh = await restart(old, () => idler());
    expect(isAlive(old)).toBe(false);
    expect(isAlive(fresh)).toBe(true);
    expect(fresh.pid).not.toBe(old.pid);
  });
});
