/**
 * The driver's side of the generator processes: forks N of them (through tsx, like everything in
 * bench/), waits until each has loaded, hands each its share of the clients (or of the open-loop
 * rate), forwards their per-second counts to a callback, and collects their recordings. A worker
 * that dies or reports a failure fails the whole run, with its message.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isFromWorker, type CpuTime, type FromWorker, type WorkerSpec } from './worker-protocol.js';
import type { RecorderData } from '../measure/recorder.js';

const workerPath = fileURLToPath(new URL('./generator-worker.ts', import.meta.url));
/** `--import tsx` resolves from the working directory, so workers run in the repository. */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** Bound on a worker's start (tsx compiles on first load). */
const workerStartMsMax = 30_000;

export interface WorkerResult {
  readonly data: RecorderData;
  readonly cpu: CpuTime;
}

export type SecondCallback = (ok: number, errors: number) => void;

function onceMessage(child: ChildProcess, type: FromWorker['type'], timeoutMs: number): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`Generator ${child.pid ?? '?'} sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if (!isFromWorker(message)) return;
      if (message.type === 'failed') finish(new Error(`Generator ${child.pid ?? '?'} failed: ${message.message}`));
      else if (message.type === type) finish(undefined, message);
    };
    const onExit = (code: number | null): void => finish(new Error(`Generator ${child.pid ?? '?'} exited (code ${String(code)}) before "${type}"`));
    const finish = (error: Error | undefined, message?: FromWorker): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error !== undefined || message === undefined) reject(error ?? new Error('No message'));
      else resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export class GeneratorPool {
  private constructor(private readonly workers: readonly ChildProcess[]) {}

  static async start(count: number): Promise<GeneratorPool> {
    const workers = Array.from({ length: count }, () => fork(workerPath, [], {
      execArgv: ['--import', 'tsx'], cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }));
    const pool = new GeneratorPool(workers);
    try {
      await Promise.all(workers.map((w) => onceMessage(w, 'ready', workerStartMsMax)));
    } catch (error) {
      pool.kill();
      throw error;
    }
    return pool;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid ?? 0);
  }

  /** Sends one spec per worker (same order) and resolves with every worker's recording. */
  async run(specs: readonly WorkerSpec[], onSecond: SecondCallback, timeoutMs: number): Promise<WorkerResult[]> {
    const listeners = this.workers.map((worker) => {
      const listener = (message: unknown): void => {
        if (isFromWorker(message) && message.type === 'second') onSecond(message.ok, message.errors);
      };
      worker.on('message', listener);
      return listener;
    });
    try {
      const done = this.workers.map((worker, i) => {
        const finished = onceMessage(worker, 'done', timeoutMs);
        worker.send({ type: 'run', spec: specs[i] });
        return finished;
      });
      const messages = await Promise.all(done);
      return messages.map((m) => {
        if (m.type !== 'done') throw new Error(`Unexpected generator message "${m.type}"`);
        return { data: m.data, cpu: m.cpu };
      });
    } finally {
      this.workers.forEach((worker, i) => {
        const listener = listeners[i];
        if (listener !== undefined) worker.off('message', listener);
      });
    }
  }

  kill(): void {
    for (const worker of this.workers) if (worker.exitCode === null) worker.kill('SIGKILL');
  }
}

/** Splits `total` into `parts` near-equal non-negative integers (first ones larger). */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
