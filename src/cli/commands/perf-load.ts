/**
 * The load behind `kvctl check perf`: closed-loop writers, each putting to its own small set of
 * keys for a fixed time, with every latency recorded; then the keys are deleted again.
 */
import { op, type KvClient } from '../../client/kv-client.js';

/** Keys each writer cycles through (so the run leaves a bounded number of keys to clean up). */
export const KEYS_PER_WRITER = 50;
/** Latency samples kept: bounds memory on long runs against fast clusters. */
const SAMPLES_MAX = 1_000_000;
/** Deletes per cleanup transaction (the server allows 128 operations). */
const DELETES_PER_TXN = 100;

export interface LoadOptions {
  readonly writers: number;
  readonly durationMs: number;
  readonly valueBytes: number;
  /** Key prefix unique to this run. */
  readonly prefix: string;
}

export interface LoadResult {
  readonly writes: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly elapsedMs: number;
  /** Sorted ascending. */
  readonly latenciesMs: readonly number[];
}

export async function runPutLoad(client: KvClient, options: LoadOptions): Promise<LoadResult> {
  const value = new Uint8Array(options.valueBytes).fill(0x61);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const endAt = started + options.durationMs;
  const writer = async (w: number): Promise<void> => {
    for (let n = 0; performance.now() < endAt; n++) {
      const t0 = performance.now();
      try {
        await client.put(`${options.prefix}${w}/${n % KEYS_PER_WRITER}`, value);
        if (latencies.length < SAMPLES_MAX) latencies.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { writes: latencies.length, errors, ...(firstError === undefined ? {} : { firstError }), elapsedMs, latenciesMs: latencies };
}

/** Deletes every key the load may have written. */
export async function cleanUp(client: KvClient, options: LoadOptions): Promise<void> {
  const keys: string[] = [];
  for (let w = 0; w < options.writers; w++) for (let k = 0; k < KEYS_PER_WRITER; k++) keys.push(`${options.prefix}${w}/${k}`);
  for (let i = 0; i < keys.length; i += DELETES_PER_TXN) {
    await client.txn().then(...keys.slice(i, i + DELETES_PER_TXN).map((key) => op.delete(key))).commit();
  }
}

/** Nearest-rank percentile of sorted samples; 0 when there are none. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? 0;
}
