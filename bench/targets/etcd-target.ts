/**
 * etcd v3 as the reference target: Debian's `etcd-server` package (/usr/bin/etcd), started on the
 * same topology as raftkv with etcd 3.4's default timing, passed explicitly so the report shows it:
 * 100 ms heartbeat, 1000 ms election timeout. (etcd 3.4 runs CheckQuorum always; PreVote is off
 * by default in 3.4.) Never installed by the benchmark: if missing, it says what to run.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { etcdProtocol } from '../client/etcd-protocol.js';
import type { ClusterContext, ClusterPlan, TargetDefinition } from './target.js';

export const etcdBinary = '/usr/bin/etcd';

export interface EtcdOptions {
  readonly heartbeatMs: number;
  readonly electionMs: number;
  /** zap level of the servers' logs. */
  readonly logLevel: string;
}

export function etcdVersion(): string | undefined {
  try {
    const text = execFileSync(etcdBinary, ['--version'], { encoding: 'utf8', timeout: 5_000 });
    return /etcd Version:\s*(\S+)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

function missing(): string | undefined {
  try {
    accessSync(etcdBinary, constants.X_OK);
    return undefined;
  } catch {
    return `${etcdBinary} not found. Install Debian's etcd server first:  apt-get install etcd-server`;
  }
}

export function etcdTarget(options: EtcdOptions): TargetDefinition {
  return {
    name: 'etcd',
    protocol: etcdProtocol,
    settings: {
      build: `${etcdBinary} ${etcdVersion() ?? '(version unknown)'}`,
      heartbeat: `${options.heartbeatMs} ms`, electionTimeout: `${options.electionMs} ms`,
      preVote: 'off (3.4 default)', checkQuorum: 'on', durability: 'bbolt + WAL with fdatasync (defaults)',
    },
    missing,
    plan: (context) => planEtcd(options, context),
  };
}

async function planEtcd(options: EtcdOptions, context: ClusterContext): Promise<ClusterPlan> {
  const nodes = Array.from({ length: context.nodes }, (_, i) => i + 1);
  const clientUrls = new Map<number, string>();
  const peerUrls = new Map<number, string>();
  for (const node of nodes) {
    const [clientPort, peerPort] = await context.network.ports(node, 2);
    clientUrls.set(node, `${context.network.host(node)}:${clientPort ?? 0}`);
    peerUrls.set(node, `http://${context.network.host(node)}:${peerPort ?? 0}`);
  }
  const initialCluster = nodes.map((node) => `n${node}=${peerUrls.get(node) ?? ''}`).join(',');
  const specs = nodes.map((node) => {
    const clientUrl = `http://${clientUrls.get(node) ?? ''}`;
    const argv = [
      etcdBinary, '--name', `n${node}`, '--data-dir', join(context.dataDir, `n${node}`),
      '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrls.get(node) ?? '', '--initial-advertise-peer-urls', peerUrls.get(node) ?? '',
      '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'raftkv-bench',
      '--heartbeat-interval', String(options.heartbeatMs), '--election-timeout', String(options.electionMs),
      '--logger', 'zap', '--log-level', options.logLevel,
    ];
    return { node, argv, cwd: context.dataDir, logPath: join(context.logDir, `n${node}.log`) };
  });
  return { specs, clientAddresses: clientUrls };
}
