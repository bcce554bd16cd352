/** Splits a scenario's clients (or open-loop rate) over its generator processes. */
import type { TargetName } from '../client/protocols.js';
import type { RunOptions } from '../cli/options.js';
import { split } from '../load/generator-pool.js';
import type { WorkerSpec } from '../load/worker-protocol.js';
import type { Scenario } from './catalog.js';

export interface Window {
  readonly t0Ms: number;
  readonly measureFromMs: number;
  readonly measureToMs: number;
}

export function workerSpecs(scenario: Scenario, target: TargetName, offeredRate: number | null, endpoints: readonly string[],
  window: Window, options: RunOptions): WorkerSpec[] {
  const clients = split(scenario.clients, scenario.generators);
  let offset = 0;
  return clients.map((count): WorkerSpec => {
    const clientOffset = offset;
    offset += count;
    return {
      target, endpoints, connections: options.connections, deadlineMs: options.deadlineMs, mode: scenario.mode,
      measureFromMs: window.measureFromMs, measureToMs: window.measureToMs,
      loop: {
        workload: { name: scenario.workload, keys: scenario.keys, distribution: scenario.distribution, valueBytes: scenario.valueBytes, seed: options.seed },
        clients: count, clientOffset,
        ratePerSec: offeredRate === null ? 0 : (offeredRate * count) / scenario.clients,
        t0Ms: window.t0Ms, durationMs: window.measureToMs - window.t0Ms, errorBackoffMs: options.errorBackoffMs,
      },
    };
  });
}
