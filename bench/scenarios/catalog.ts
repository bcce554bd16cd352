/**
 * The named scenarios. `all` runs them in this order, which matters once: the open-loop scenario
 * offers half of the highest write rate etcd reached in the closed-loop write scenarios before it.
 * Explicit command-line flags (--seconds, --clients, --nodes, ...) override a scenario's values.
 */
import { faultDescriptions, faultNames, type FaultName } from '../faults/faults.js';
import type { Distribution, WorkloadName } from '../load/workload.js';

export type LoadMode = 'closed' | 'open';
/** An open-loop rate: fixed, or half of etcd's best closed-loop write throughput in this run. */
export type RateSpec = number | 'half-etcd-max';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly workload: WorkloadName;
  readonly clients: number;
  readonly mode: LoadMode;
  readonly rate: RateSpec;
  readonly keys: number;
  readonly distribution: Distribution;
  readonly valueBytes: number;
  readonly nodes: number;
  readonly generators: number;
  /** Measured seconds, after the warm-up (steady scenarios). */
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly fault?: FaultName;
}

export type ScenarioFields = Omit<Scenario, 'name' | 'description'>;

export const scenarioDefaults: ScenarioFields = {
  workload: 'write', clients: 64, mode: 'closed', rate: 'half-etcd-max', keys: 10_000, distribution: 'uniform',
  valueBytes: 128, nodes: 3, generators: 1, seconds: 10, warmupSeconds: 3,
};

const steady = (name: string, description: string, fields: Partial<ScenarioFields>): Scenario => ({
  ...scenarioDefaults, ...fields, name, description,
});

/** Fault runs: 16 writers and 16 linearizable readers, so both kinds show their own window. */
const faulty = (fault: FaultName): Scenario => ({
  ...scenarioDefaults, workload: 'mixed', clients: 32, fault, name: `fault-${fault}`, description: faultDescriptions[fault],
});

export const catalog: readonly Scenario[] = [
  steady('write-1', 'writes, 1 closed-loop client: latency without queueing', { clients: 1 }),
  steady('write-64', 'writes, 64 closed-loop clients', { clients: 64 }),
  steady('write-256', 'writes, 256 closed-loop clients', { clients: 256 }),
  steady('write-open-half', 'writes, open loop at half of etcd\'s best closed-loop write rate (at most 256 in flight)', { mode: 'open', clients: 256 }),
  steady('read-linearizable-64', 'linearizable reads of 10,000 preloaded keys, 64 clients', { workload: 'read-linearizable' }),
  steady('read-serializable-64', 'serializable reads, 64 clients', { workload: 'read-serializable' }),
  steady('ycsb-a-64', 'YCSB-A: 50% reads (linearizable), 50% writes, zipfian keys, 64 clients', { workload: 'ycsb-a', distribution: 'zipfian' }),
  steady('ycsb-b-64', 'YCSB-B: 95% reads (linearizable), 5% writes, zipfian keys, 64 clients', { workload: 'ycsb-b', distribution: 'zipfian' }),
  ...faultNames.map(faulty),
];

export function findScenario(name: string): Scenario | undefined {
  return catalog.find((s) => s.name === name);
}
