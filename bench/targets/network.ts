/**
 * Where the servers of a benchmark live. 'netns' (root only): the fault tests' NetworkLab, one
 * network namespace per node on a private bridge, the generators in the root namespace dialling
 * over the bridge, real partitions through NetworkNemesis (iptables inside the namespaces).
 * 'loopback': every server on 127.0.0.1 with free ports; process faults work, partitions do not.
 * One network serves the whole run; each cluster started in it gets the same addresses.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { nodeId, type NodeId } from '../../src/shared/ids.js';
import { realNetworkCapability } from '../../test/jepsen/net/capability.js';
import { cleanupStale, NetworkLab } from '../../test/jepsen/net/netns.js';
import { NetworkNemesis } from '../../test/jepsen/net/partition.js';

export type NetMode = 'netns' | 'loopback';

export interface BenchNetwork {
  readonly mode: NetMode;
  /** The address `node` binds and clients dial. */
  host(node: number): string;
  /** `count` ports for `node`: fixed inside a namespace (each node has its own address), free ones on loopback. */
  ports(node: number, count: number): Promise<number[]>;
  spawn(node: number, argv: readonly string[], options: SpawnOptions): ChildProcess;
  /** Present in 'netns' mode only. */
  readonly faults: NetworkNemesis | undefined;
  teardown(): Promise<void>;
}

/** First port used inside a namespace. */
const namespacePortBase = 17_000;

/** 'auto' takes namespaces when this process may create them; returns the mode and why. */
export function chooseNetMode(requested: NetMode | 'auto'): { mode: NetMode; note: string } {
  const capability = realNetworkCapability();
  if (requested === 'netns' && !capability.ok) throw new Error(`Cannot use --net netns: ${capability.reason}`);
  if (requested !== 'auto') return { mode: requested, note: '' };
  if (capability.ok) return { mode: 'netns', note: '' };
  return { mode: 'loopback', note: `network namespaces unavailable (${capability.reason}): loopback, partition faults skipped` };
}

async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(servers.map((server) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('Cannot read a bound port'));
      else resolve(address.port);
    });
  })));
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

const loopbackChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of loopbackChildren) child.kill('SIGKILL');
});

function loopbackNetwork(): BenchNetwork {
  return {
    mode: 'loopback',
    host: () => '127.0.0.1',
    ports: (_node, count) => freePorts(count),
    spawn: (_node, argv, options) => {
      const child = spawn(argv[0] ?? '', argv.slice(1), options);
      loopbackChildren.add(child);
      child.once('exit', () => loopbackChildren.delete(child));
      return child;
    },
    faults: undefined,
    teardown: () => Promise.resolve(),
  };
}

async function namespaceNetwork(nodeCount: number): Promise<BenchNetwork> {
  await cleanupStale();
  const nodes: NodeId[] = Array.from({ length: nodeCount }, (_, i) => nodeId(i + 1));
  const lab = await NetworkLab.create({ nodes });
  try {
    const nemesis = await NetworkNemesis.install(lab);
    return {
      mode: 'netns',
      host: (node) => lab.addressOf(nodeId(node)),
      ports: (_node, count) => Promise.resolve(Array.from({ length: count }, (_, i) => namespacePortBase + i)),
      spawn: (node, argv, options) => lab.run(nodeId(node), argv, options),
      faults: nemesis,
      teardown: () => lab.teardown(),
    };
  } catch (error) {
    await lab.teardown().catch(() => undefined);
    throw error;
  }
}

export function startNetwork(mode: NetMode, nodeCount: number): Promise<BenchNetwork> {
  return mode === 'netns' ? namespaceNetwork(nodeCount) : Promise.resolve(loopbackNetwork());
}
