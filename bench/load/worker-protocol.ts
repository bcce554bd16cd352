/** Messages between the benchmark driver and its generator processes (Node IPC, JSON). */
import type { TargetName } from '../client/protocols.js';
import type { RecorderData } from '../measure/recorder.js';
import type { LoopSpec } from './loops.js';

export interface WorkerSpec {
  readonly target: TargetName;
  /** Client addresses of every member, the current leader first. */
  readonly endpoints: readonly string[];
  readonly connections: number;
  readonly deadlineMs: number;
  readonly mode: 'closed' | 'open';
  readonly loop: LoopSpec;
  readonly measureFromMs: number;
  readonly measureToMs: number;
}

export interface CpuTime {
  readonly userUs: number;
  readonly systemUs: number;
}

export type ToWorker = { readonly type: 'run'; readonly spec: WorkerSpec };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'second'; readonly ok: number; readonly errors: number }
  | { readonly type: 'done'; readonly data: RecorderData; readonly cpu: CpuTime }
  | { readonly type: 'failed'; readonly message: string };

export function isFromWorker(value: unknown): value is FromWorker {
  return typeof value === 'object' && value !== null && 'type' in value && typeof value.type === 'string';
}

export function isToWorker(value: unknown): value is ToWorker {
  return typeof value === 'object' && value !== null && 'type' in value && value.type === 'run' && 'spec' in value;
}
