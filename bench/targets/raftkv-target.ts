/**
 * raftkv as a benchmark target: real `raftkv serve` processes, one per node, from source through
 * tsx (default) or from `dist/` after `npm run build`. tsx compiles each module once at start-up
 * (a second or so of CPU per node); after that the process runs the same JavaScript either way,
 * and the measured window starts well after start-up.
 *
 * Election settings are the defaults (tick 50 ms, election timeout 10 ticks drawn from 500–1000 ms,
 * heartbeat every tick, PreVote and CheckQuorum on); see bench/README.md for why they are safe.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { raftkvProtocol } from '../client/raftkv-protocol.js';
import { makeCa, makeCert } from '../../src/cli/cert-files.js';
import { waitForEvenLeaderships } from './raftkv-settle.js';
import type { ClusterContext, ClusterPlan, TargetDefinition } from './target.js';

const settleTimeoutMs = 60_000;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export type RaftkvBuild = 'source' | 'dist';

export interface RaftkvOptions {
  readonly build: RaftkvBuild;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** pino level of the servers' logs (bench/results/.../logs/). */
  readonly logLevel: string;
  /** Data groups (shards); 1 runs the unsharded single group. */
  readonly groups: number;
  /** Extra `node` flags for every server, e.g. ["--max-old-space-size=512"]. */
  readonly nodeFlags: readonly string[];
  /** TLS on every node's port (and so node to node), with throwaway certificates. */
  readonly tls: boolean;
}

function entry(build: RaftkvBuild): string[] {
  return build === 'dist' ? ['dist/cli/raftkv.js'] : ['--import', 'tsx', 'src/cli/raftkv.ts'];
}

export function raftkvTarget(options: RaftkvOptions): TargetDefinition {
  const electionMs = options.tickMs * options.electionTicks;
  return {
    name: 'raftkv',
    protocol: raftkvProtocol,
    settings: {
      build: options.build === 'dist' ? 'node dist/cli/raftkv.js' : 'node --import tsx src/cli/raftkv.ts',
      heartbeat: `${options.tickMs * options.heartbeatTicks} ms (${options.heartbeatTicks} tick of ${options.tickMs} ms)`,
      electionTimeout: `${electionMs}–${2 * electionMs} ms randomized (${options.electionTicks} ticks)`,
      preVote: 'on', checkQuorum: 'on', durability: 'SQLite WAL, synchronous=FULL',
      groups: options.groups === 1 ? '1 (unsharded)' : `${options.groups} data groups (faults aim at group 0's leader)`,
      tls: options.tls ? 'on (ECDSA P-256 certificates, node to node verified, clients do not verify)' : 'off',
    },
    missing: () => (options.build === 'dist' && !existsSync(join(repoRoot, 'dist/cli/raftkv.js'))
      ? 'dist/cli/raftkv.js is missing: run `npm run build` or use --raftkv-build source'
      : undefined),
    plan: (context) => planRaftkv(options, context),
    // The meta group counts too: its leader is balanced like the data groups'.
    ...(options.groups > 1 ? { settle: (addresses: readonly string[]) => waitForEvenLeaderships(addresses, options.groups + 1, settleTimeoutMs) } : {}),
  };
}

async function planRaftkv(options: RaftkvOptions, context: ClusterContext): Promise<ClusterPlan> {
  const nodes = Array.from({ length: context.nodes }, (_, i) => i + 1);
  const addresses = new Map<number, string>();
  for (const node of nodes) {
    const [port] = await context.network.ports(node, 1);
    addresses.set(node, `${context.network.host(node)}:${port ?? 0}`);
  }
  const peers = [...addresses].map(([node, address]) => `${node}=${address}`).join(',');
  const ca = options.tls ? makeCa(join(context.dataDir, 'tls')) : undefined;
  const tlsFlags = (node: number): string[] => {
    if (ca === undefined) return [];
    const cert = makeCert(join(context.dataDir, 'tls'), ca, { name: `node-${node}`, commonName: `node-${node}`, altNames: [`IP:${context.network.host(node)}`, 'DNS:localhost'] });
    return ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--tls-ca', ca.certFile];
  };
  const specs = nodes.map((node) => {
    const profile = context.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(context.cpuProfileDir, `n${node}`)}`];
    const argv = [
      process.execPath, ...options.nodeFlags, ...profile, ...entry(options.build), 'serve',
      '--node-id', String(node), '--listen', addresses.get(node) ?? '', '--peers', peers,
      '--data-dir', join(context.dataDir, `n${node}`), '--log-level', options.logLevel,
      '--tick-ms', String(options.tickMs), '--election-ticks', String(options.electionTicks),
      '--heartbeat-ticks', String(options.heartbeatTicks),
      // One group is the unsharded server (--groups 0), the fair match for etcd's single group.
      '--groups', String(options.groups === 1 ? 0 : options.groups),
      // Namespaced runs listen on lab addresses: plaintext off loopback must be asked for.
      '--insecure-listen', ...tlsFlags(node),
    ];
    return { node, argv, cwd: repoRoot, logPath: join(context.logDir, `n${node}.log`) };
  });
  return { specs, clientAddresses: addresses };
}
