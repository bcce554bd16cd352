/**
 * Command-line options of bench/run.ts, parsed and checked once. Scenario-shaping flags that are
 * given explicitly override the chosen scenarios' values; the rest configure the run.
 */
import { parseArgs } from 'node:util';
import { targetNames, type TargetName } from '../client/protocols.js';
import { faultNames, type FaultName } from '../faults/faults.js';
import { workloadNames, type Distribution, type WorkloadName } from '../load/workload.js';
import type { NetMode } from '../targets/network.js';
import type { RaftkvBuild } from '../targets/raftkv-target.js';
import { catalog, findScenario, scenarioDefaults, type Scenario, type ScenarioFields } from '../scenarios/catalog.js';

export interface RunOptions {
  readonly targets: readonly TargetName[];
  readonly scenarios: readonly Scenario[];
  readonly connections: number;
  readonly deadlineMs: number;
  readonly errorBackoffMs: number;
  readonly faultAtSeconds: number;
  readonly faultSeconds: number;
  readonly afterHealSeconds: number;
  readonly net: NetMode | 'auto';
  readonly outDir: string | undefined;
  /** Where clusters put their data directories (default: the system temp dir). */
  readonly dataRoot: string | undefined;
  readonly seed: number;
  readonly cpuProfile: boolean;
  /** Rounds of the whole plan; the comparison takes each figure's median over the rounds. */
  readonly repeat: number;
  readonly raftkv: { build: RaftkvBuild; tickMs: number; electionTicks: number; heartbeatTicks: number; groups: number; logLevel: string; nodeFlags: string[]; tls: boolean };
  readonly etcd: { heartbeatMs: number; electionMs: number; logLevel: string };
}

const spec = {
  target: { type: 'string' }, compare: { type: 'string' }, scenario: { type: 'string' }, nodes: { type: 'string' },
  clients: { type: 'string' }, seconds: { type: 'string' }, warmup: { type: 'string' }, 'value-bytes': { type: 'string' },
  workload: { type: 'string' }, keys: { type: 'string' }, distribution: { type: 'string' }, mode: { type: 'string' },
  rate: { type: 'string' }, fault: { type: 'string' }, generators: { type: 'string' }, connections: { type: 'string' },
  'deadline-ms': { type: 'string' }, 'error-backoff-ms': { type: 'string' }, 'fault-at': { type: 'string' },
  'fault-seconds': { type: 'string' }, 'after-heal-seconds': { type: 'string' }, net: { type: 'string' },
  out: { type: 'string' }, 'data-root': { type: 'string' }, seed: { type: 'string' }, 'cpu-prof': { type: 'boolean' }, repeat: { type: 'string' }, 'raftkv-build': { type: 'string' },
  'raftkv-tick-ms': { type: 'string' }, 'raftkv-election-ticks': { type: 'string' }, 'raftkv-heartbeat-ticks': { type: 'string' }, groups: { type: 'string' }, 'log-level': { type: 'string' },
  'node-flags': { type: 'string' }, 'etcd-heartbeat-ms': { type: 'string' }, 'etcd-election-ms': { type: 'string' },
  list: { type: 'boolean' }, help: { type: 'boolean' }, tls: { type: 'boolean' },
} as const;

export type ParsedFlags = ReturnType<typeof parseArgs<{ options: typeof spec }>>['values'];

export function parseFlags(argv: readonly string[]): ParsedFlags {
  return parseArgs({ args: [...argv], options: spec, strict: true, allowPositionals: false }).values;
}

function int(value: string | undefined, name: string, fallback: number, min = 1, max = 10_000_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}

function oneOf<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new Error(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

function targetsOf(flags: ParsedFlags): TargetName[] {
  if (flags.compare !== undefined) {
    if (flags.compare !== 'etcd') throw new Error(`--compare only knows "etcd", got "${flags.compare}"`);
    return ['raftkv', 'etcd'];
  }
  const target = oneOf(flags.target, 'target', [...targetNames, 'both'], 'raftkv');
  return target === 'both' ? ['raftkv', 'etcd'] : [target];
}

/** Scenario fields given explicitly on the command line. */
function overrides(flags: ParsedFlags): Partial<ScenarioFields> {
  const out: Partial<Record<keyof ScenarioFields, unknown>> = {};
  if (flags.workload !== undefined) out.workload = oneOf<WorkloadName>(flags.workload, 'workload', workloadNames, 'write');
  if (flags.clients !== undefined) out.clients = int(flags.clients, 'clients', 1, 1, 10_000);
  if (flags.mode !== undefined) out.mode = oneOf(flags.mode, 'mode', ['closed', 'open'], 'closed');
  if (flags.rate !== undefined) out.rate = int(flags.rate, 'rate', 1, 1, 1_000_000);
  if (flags.keys !== undefined) out.keys = int(flags.keys, 'keys', 1, 2, 10_000_000);
  if (flags.distribution !== undefined) out.distribution = oneOf<Distribution>(flags.distribution, 'distribution', ['uniform', 'zipfian'], 'uniform');
  if (flags['value-bytes'] !== undefined) out.valueBytes = int(flags['value-bytes'], 'value-bytes', 1, 0, 1_000_000);
  if (flags.nodes !== undefined) out.nodes = int(flags.nodes, 'nodes', 3, 3, 5);
  if (flags.nodes !== undefined && out.nodes !== 3 && out.nodes !== 5) throw new Error('--nodes must be 3 or 5');
  if (flags.generators !== undefined) out.generators = int(flags.generators, 'generators', 1, 1, 16);
  if (flags.seconds !== undefined) out.seconds = int(flags.seconds, 'seconds', 10, 1, 3600);
  if (flags.warmup !== undefined) out.warmupSeconds = int(flags.warmup, 'warmup', 3, 0, 600);
  if (flags.fault !== undefined) out.fault = oneOf<FaultName>(flags.fault, 'fault', faultNames, 'kill-leader');
  return out as Partial<ScenarioFields>;
}

function scenariosOf(flags: ParsedFlags): Scenario[] {
  const extra = overrides(flags);
  const names = (flags.scenario ?? 'custom').split(',');
  const chosen = names.flatMap((name): Scenario[] => {
    if (name === 'all') return [...catalog];
    if (name === 'custom') return [{ ...scenarioDefaults, name: 'custom', description: 'built from command-line flags' }];
    const found = findScenario(name);
    if (found === undefined) throw new Error(`Unknown scenario "${name}"; known: all, custom, ${catalog.map((s) => s.name).join(', ')}`);
    return [found];
  });
  return chosen.map((s) => {
    const merged = { ...s, ...extra };
    if (merged.generators > merged.clients) throw new Error(`Scenario ${s.name}: --generators must not exceed its ${merged.clients} clients`);
    return merged;
  });
}

export function runOptions(flags: ParsedFlags): RunOptions {
  return {
    targets: targetsOf(flags),
    scenarios: scenariosOf(flags),
    connections: int(flags.connections, 'connections', 4, 1, 64),
    deadlineMs: int(flags['deadline-ms'], 'deadline-ms', 1000, 10, 600_000),
    errorBackoffMs: int(flags['error-backoff-ms'], 'error-backoff-ms', 10, 0, 10_000),
    faultAtSeconds: int(flags['fault-at'], 'fault-at', 5, 1, 600),
    faultSeconds: int(flags['fault-seconds'], 'fault-seconds', 5, 1, 600),
    afterHealSeconds: int(flags['after-heal-seconds'], 'after-heal-seconds', 10, 1, 600),
    net: oneOf(flags.net, 'net', ['auto', 'netns', 'loopback'], 'auto'),
    outDir: flags.out,
    dataRoot: flags['data-root'],
    seed: int(flags.seed, 'seed', 1, 0, 2 ** 31),
    cpuProfile: flags['cpu-prof'] === true,
    repeat: int(flags.repeat, 'repeat', 1, 1, 20),
    raftkv: {
      build: oneOf<RaftkvBuild>(flags['raftkv-build'], 'raftkv-build', ['source', 'dist'], 'source'),
      tickMs: int(flags['raftkv-tick-ms'], 'raftkv-tick-ms', 50, 1, 60_000),
      electionTicks: int(flags['raftkv-election-ticks'], 'raftkv-election-ticks', 10, 2, 10_000),
      heartbeatTicks: int(flags['raftkv-heartbeat-ticks'], 'raftkv-heartbeat-ticks', 1, 1, 10_000),
      groups: int(flags.groups, 'groups', 1, 1, 4096),
      logLevel: oneOf(flags['log-level'], 'log-level', ['debug', 'info', 'warn', 'error'], 'warn'),
      nodeFlags: (flags['node-flags'] ?? '').split(' ').filter((f) => f !== ''),
      tls: flags.tls === true,
    },
    etcd: {
      heartbeatMs: int(flags['etcd-heartbeat-ms'], 'etcd-heartbeat-ms', 100, 1, 60_000),
      electionMs: int(flags['etcd-election-ms'], 'etcd-election-ms', 1000, 1, 600_000),
      logLevel: oneOf(flags['log-level'], 'log-level', ['debug', 'info', 'warn', 'error'], 'warn'),
    },
  };
}
