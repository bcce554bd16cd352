// Command-line flags of the fault runner (test/jepsen/run.ts), parsed into RunOptions. Pure, so
// the test suite builds the same options in code.
import { NEMESIS_NAMES, type ClusterShape, type NemesisName, type NemesisSelection } from './nemesis/schedule.js';
import type { NetMode } from './harness/network.js';

export const WORKLOAD_NAMES = ['register', 'set', 'bank'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface RunOptions {
  readonly timeS: number;
  /** Empty: no faults at all (a control run). */
  readonly nemeses: readonly NemesisSelection[];
  readonly nodes: number;
  /** Data groups the cluster is founded with (`raftkv serve --groups`); 0: unsharded, one group 0. */
  readonly groups: number;
  /** Replicas per data group (`raftkv serve --replicas`); only used when `groups` > 0. */
  readonly replicas: number;
  readonly outDir: string;
  readonly workloads: readonly WorkloadName[];
  readonly seed: number;
  /** Client workers per workload. */
  readonly concurrency: number;
  readonly net: NetMode | 'auto';
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  readonly opTimeoutMs: number;
  readonly leaseReads: boolean;
  /** TLS with client certificates, mutual TLS between nodes, and auth enabled (harness/secure-setup.ts). */
  readonly secure: boolean;
  /** Share of reads sent to a random node rather than the believed leader. */
  readonly followerReads: number;
  /** Quiet period after the final heal, in which the cluster must recover. */
  readonly quietS: number;
  /** A write must succeed within this long after the final heal. */
  readonly recoveryBoundS: number;
  /** Server entry point (relative to the repo root); tests pass a deliberately broken one. */
  readonly serverEntry?: string;
}

export const defaultRunOptions: RunOptions = {
  timeS: 60, nemeses: ['all'], nodes: 3, groups: 0, replicas: 3, outDir: 'runs/jepsen', workloads: ['register'], seed: 1, concurrency: 10,
  net: 'auto', tickMs: 20, electionTicks: 10, snapshotEntries: 2_000, opTimeoutMs: 1_000, leaseReads: false, secure: false,
  followerReads: 0.2, quietS: 10, recoveryBoundS: 30,
};

export const usage = `Usage: npm run test:jepsen -- [flags]
  --time SECONDS         run length, faults included (default 60)
  --nemesis NAMES|all    comma list of ${NEMESIS_NAMES.join(', ')} (halves = partition-halves);
                         all (the nemeses the cluster supports); or none (default all)
  --nodes 3|5            cluster size (default 3)
  --groups N             found a sharded cluster of N data groups plus the meta group (default 0: unsharded)
  --replicas R           replicas per data group when sharded, 1..nodes (default 3)
  --out DIR              run directories go under DIR (default runs/jepsen)
  --workload NAMES       comma list of register, set, bank (default register)
  --seed N               schedule and client seed (default: from the clock, printed)
  --concurrency N        client workers per workload (default 10)
  --net auto|netns|proxy network backend; auto = netns when root, else proxy (default auto)
  --tick-ms N --election-ticks N --snapshot-entries N   server timing (defaults 20, 10, 2000)
  --op-timeout-ms N      client deadline per operation (default 1000)
  --follower-reads F     share of reads sent to any node, 0..1 (default 0.2)
  --quiet S              quiet period after the final heal (default 10)
  --recovery-bound S     a write must succeed this soon after the heal (default 30)
  --lease-reads          run the servers with --lease-reads; half the reads use LEASE
  --secure               TLS with client certificates, mutual TLS between nodes, auth enabled
  --server-entry PATH    server script relative to the repo root (tests: test/jepsen/broken-read-server.ts)`;

const positiveInt = (name: string, text: string): number => {
  if (!/^[0-9]+$/.test(text) || Number(text) <= 0) throw new Error(`Cannot use ${name} ${JSON.stringify(text)}: expected a positive integer`);
  return Number(text);
};

const nonNegativeInt = (name: string, text: string): number => {
  if (!/^[0-9]+$/.test(text)) throw new Error(`Cannot use ${name} ${JSON.stringify(text)}: expected an integer >= 0`);
  return Number(text);
};

function list<T extends string>(name: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`Cannot use ${name} "${item}": expected one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

/** Short names accepted on the command line. */
const nemesisAliases: Readonly<Record<string, NemesisName>> = { halves: 'partition-halves' };

function nemesisList(text: string): NemesisSelection[] {
  const named = text.split(',').map((s) => nemesisAliases[s.trim()] ?? s.trim()).join(',');
  return [...new Set(list('--nemesis', named, [...NEMESIS_NAMES, 'all'] as const))];
}

type Mutable = { -readonly [K in keyof RunOptions]: RunOptions[K] };

function applyFlag(options: Mutable, flag: string, value: string): void {
  switch (flag) {
    case '--time': options.timeS = positiveInt(flag, value); break;
    case '--nemesis': options.nemeses = value === 'none' ? [] : nemesisList(value); break;
    case '--nodes':
      if (value !== '3' && value !== '5') throw new Error(`Cannot use --nodes ${value}: expected 3 or 5`);
      options.nodes = Number(value);
      break;
    case '--groups': options.groups = nonNegativeInt(flag, value); break;
    case '--replicas': options.replicas = positiveInt(flag, value); break;
    case '--out': options.outDir = value; break;
    case '--workload': options.workloads = list(flag, value, WORKLOAD_NAMES); break;
    case '--seed': options.seed = positiveInt(flag, value); break;
    case '--concurrency': options.concurrency = positiveInt(flag, value); break;
    case '--net': options.net = list(flag, value, ['auto', 'netns', 'proxy'] as const)[0] ?? 'auto'; break;
    case '--tick-ms': options.tickMs = positiveInt(flag, value); break;
    case '--election-ticks': options.electionTicks = positiveInt(flag, value); break;
    case '--snapshot-entries': options.snapshotEntries = positiveInt(flag, value); break;
    case '--op-timeout-ms': options.opTimeoutMs = positiveInt(flag, value); break;
    case '--follower-reads': options.followerReads = Math.min(1, Math.max(0, Number(value) || 0)); break;
    case '--quiet': options.quietS = positiveInt(flag, value); break;
    case '--recovery-bound': options.recoveryBoundS = positiveInt(flag, value); break;
    case '--server-entry': options.serverEntry = value; break;
    default: throw new Error(`Unknown flag ${flag}`);
  }
}

/** Parses argv (without node and script); throws an Error with a message for the user. */
export function parseRunArgs(argv: readonly string[], seedFromClock: number): RunOptions {
  const options: Mutable = { ...defaultRunOptions, seed: seedFromClock };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--lease-reads' || flag === '--secure') {
      if (flag === '--lease-reads') options.leaseReads = true;
      else options.secure = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`Missing value after ${flag}`);
    applyFlag(options, flag, value);
    i++;
  }
  if (options.workloads.length === 0) throw new Error('Cannot run without a workload');
  if (options.timeS <= options.quietS) throw new Error(`--time ${options.timeS} must exceed the quiet period (--quiet ${options.quietS})`);
  checkSharding(options);
  return options;
}

/** What the schedule needs to know of the cluster to expand `all` (see nemesis/schedule.ts). */
export function shapeOf(options: Pick<RunOptions, 'groups' | 'replicas' | 'nodes'>): ClusterShape {
  return { sharded: options.groups > 0, canMove: options.groups > 0 && options.replicas < options.nodes };
}

/** Nemeses that only make sense on one kind of cluster are refused with the reason. */
function checkSharding(options: RunOptions): void {
  const named = (name: NemesisName): boolean => options.nemeses.includes(name);
  if (options.groups > 4096) throw new Error(`Cannot use --groups ${options.groups}: the server takes at most 4096`);
  if (options.groups === 0) {
    for (const name of ['move', 'split'] as const) {
      if (named(name)) throw new Error(`Cannot use --nemesis ${name} on an unsharded cluster: it changes the shard map; add --groups N`);
    }
    return;
  }
  if (options.replicas > options.nodes) throw new Error(`Cannot use --replicas ${options.replicas} with --nodes ${options.nodes}: a group cannot have more replicas than there are nodes`);
  if (named('byte-flip')) {
    throw new Error('Cannot use --nemesis byte-flip on a sharded cluster: it rebuilds a corrupted node through group 0\'s membership (the meta group there)');
  }
  if (named('membership')) {
    throw new Error('Cannot use --nemesis membership on a sharded cluster: it edits group 0 (the meta group) directly; use `move`, which moves data-group replicas through the shard map');
  }
  if (named('move') && !shapeOf(options).canMove) {
    throw new Error(`Cannot use --nemesis move with --nodes ${options.nodes} and --replicas ${options.replicas}: every node already holds every group, so no replica can move; use --nodes 5 (replicas 3) or --replicas 2`);
  }
}
