/**
 * The two ways of offering load. Closed loop: N clients, each sends its next operation when the
 * previous one finished (throughput is what the system allows; latency hides queueing). Open loop:
 * operations are due at a fixed rate whatever happens, at most `clients` in flight, the rest wait
 * in a bounded backlog; each latency runs from the operation's *intended* start, so a stall shows
 * up in full instead of being hidden by the generator waiting with it (coordinated omission).
 */
import type { KvAdapter } from '../client/adapter.js';
import { BenchCallError } from '../client/adapter.js';
import type { Recorder } from '../measure/recorder.js';
import { OpSource, type Op, type WorkloadSpec } from './workload.js';
import { Zipfian } from './zipfian.js';

export interface LoopSpec {
  readonly workload: WorkloadSpec;
  /** Closed loop: clients of this process; open loop: the in-flight bound of this process. */
  readonly clients: number;
  /** Global index of this process's first client (seeds differ across processes). */
  readonly clientOffset: number;
  /** Open loop only: operations per second offered by this process. */
  readonly ratePerSec: number;
  readonly t0Ms: number;
  readonly durationMs: number;
  /** A closed-loop client that got an error waits this long, so a dead leader is not spun on. */
  readonly errorBackoffMs: number;
}

export type Clock = () => number;

export const epochNowMs: Clock = () => performance.timeOrigin + performance.now();

/** Open-loop operations waiting for an in-flight slot, per second of offered rate. */
const backlogSecondsMax = 10;
/** Scheduler wake-up period of the open loop. */
const openLoopTickMs = 1;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function codeOf(error: unknown): string {
  return error instanceof BenchCallError ? error.code : 'CLIENT';
}

function execute(adapter: KvAdapter, op: Op, source: OpSource): Promise<void> {
  return op.kind === 'write' ? adapter.put(op.key, source.value()) : adapter.get(op.key, op.consistency);
}

function sharedZipfian(spec: WorkloadSpec): Zipfian | undefined {
  return spec.distribution === 'zipfian' ? new Zipfian(spec.keys) : undefined;
}

export async function runClosedLoop(adapter: KvAdapter, spec: LoopSpec, recorder: Recorder, now: Clock): Promise<void> {
  const endMs = spec.t0Ms + spec.durationMs;
  const zipfian = sharedZipfian(spec.workload);
  await sleep(spec.t0Ms - now());
  const client = async (index: number): Promise<void> => {
    const source = new OpSource(spec.workload, spec.clientOffset + index, zipfian);
    for (let sequence = 0; now() < endMs; sequence++) {
      const op = source.next(sequence);
      const startedMs = now();
      try {
        await execute(adapter, op, source);
        recorder.ok(op.kind, startedMs, now());
      } catch (error) {
        recorder.error(op.kind, codeOf(error), now());
        await sleep(spec.errorBackoffMs);
      }
    }
  };
  await Promise.all(Array.from({ length: spec.clients }, (_, i) => client(i)));
}

export async function runOpenLoop(adapter: KvAdapter, spec: LoopSpec, recorder: Recorder, now: Clock): Promise<void> {
  const endMs = spec.t0Ms + spec.durationMs;
  const intervalMs = 1000 / spec.ratePerSec;
  const backlogMax = Math.ceil(spec.ratePerSec * backlogSecondsMax);
  const source = new OpSource(spec.workload, -1 - spec.clientOffset, sharedZipfian(spec.workload));
  const backlog: number[] = [];
  let inflight = 0;
  let sequence = 0;
  let settled: () => void = () => undefined;
  const dispatch = (intendedMs: number): void => {
    inflight++;
    const op = source.next(sequence++);
    execute(adapter, op, source).then(
      () => recorder.ok(op.kind, intendedMs, now()),
      (error: unknown) => recorder.error(op.kind, codeOf(error), now()),
    ).finally(() => {
      inflight--;
      const next = backlog.shift();
      if (next !== undefined && now() < endMs) dispatch(next);
      if (inflight === 0) settled();
    });
  };
  const drop = (code: string): void => recorder.error(source.next(sequence++).kind, code, now());
  await sleep(spec.t0Ms - now());
  let sent = 0;
  while (now() < endMs) {
    const due = Math.min(Math.floor((now() - spec.t0Ms) / intervalMs) + 1, Math.floor(spec.durationMs / intervalMs));
    for (; sent < due; sent++) {
      const intendedMs = spec.t0Ms + sent * intervalMs;
      if (inflight < spec.clients) dispatch(intendedMs);
      else if (backlog.length < backlogMax) backlog.push(intendedMs);
      else drop('GENERATOR_BACKLOG_FULL');
    }
    await sleep(openLoopTickMs);
  }
  backlog.splice(0).forEach(() => drop('GENERATOR_NOT_SENT'));
  if (inflight > 0) await new Promise<void>((resolve) => (settled = resolve));
}
