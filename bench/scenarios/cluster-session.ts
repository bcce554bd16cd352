/**
 * One cluster of one target for one scenario: fresh data directories, server processes started in
 * the run's network, a LeaderWatch polling every member from the start, the first leader awaited,
 * keys preloaded for read workloads; and on stop, a graceful shutdown (raftkv writes its CPU
 * profile then) and removal of the data.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoutedAdapter } from '../client/adapter.js';
import { keyBytes } from '../load/workload.js';
import { epochNowMs } from '../load/loops.js';
import { LeaderWatch, waitForLeader, type LeaderObservation } from '../measure/leader-watch.js';
import type { BenchNetwork } from '../targets/network.js';
import { ServerSet } from '../targets/server-set.js';
import type { TargetDefinition } from '../targets/target.js';

/** Bound on the first election after start (tsx start-up included). */
const firstLeaderMsMax = 60_000;
/** Concurrent puts while preloading. */
const preloadConcurrency = 64;

export interface ClusterSession {
  readonly servers: ServerSet;
  readonly addresses: ReadonlyMap<number, string>;
  readonly watch: LeaderWatch;
  readonly leader: LeaderObservation;
  /** Client addresses, the leader's first. */
  readonly endpoints: readonly string[];
  /** Set when the target's settle step gave up waiting (the run goes on). */
  readonly settleNote: string | undefined;
  stop(): Promise<void>;
}

export interface SessionOptions {
  readonly target: TargetDefinition;
  readonly network: BenchNetwork;
  readonly nodes: number;
  readonly logDir: string;
  readonly cpuProfileDir?: string;
  /** Parent of the data directory; the system temp dir by default. */
  readonly dataRoot?: string;
}

export async function startCluster(options: SessionOptions): Promise<ClusterSession> {
  const dataDir = mkdtempSync(join(options.dataRoot ?? tmpdir(), `raftkv-bench-${options.target.name}-`));
  mkdirSync(options.logDir, { recursive: true });
  const plan = await options.target.plan({
    network: options.network, nodes: options.nodes, dataDir, logDir: options.logDir,
    ...(options.cpuProfileDir === undefined ? {} : { cpuProfileDir: options.cpuProfileDir }),
  });
  const servers = new ServerSet(options.network, plan.specs);
  const watch = new LeaderWatch(options.target.protocol, plan.clientAddresses, epochNowMs);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    watch.stop();
    await servers.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    servers.start();
    watch.start();
    const leader = await waitForLeader(watch, options.nodes, firstLeaderMsMax, epochNowMs);
    const leaderAddress = plan.clientAddresses.get(leader.node) ?? '';
    const endpoints = [leaderAddress, ...[...plan.clientAddresses.values()].filter((a) => a !== leaderAddress)];
    const settleNote = await options.target.settle?.(endpoints);
    return { servers, addresses: plan.clientAddresses, watch, leader, endpoints, settleNote, stop };
  } catch (error) {
    await stop();
    throw new Error(`Cannot start ${options.target.name}: ${error instanceof Error ? error.message : String(error)}; logs in ${options.logDir}`);
  }
}

/** Writes every key once (value of `valueBytes`), so reads find data. Throws on the first error. */
export async function preload(session: ClusterSession, target: TargetDefinition, keys: number, valueBytes: number): Promise<void> {
  const adapter = new RoutedAdapter(target.protocol, { endpoints: session.endpoints, connections: 4, deadlineMs: 10_000 });
  const value = new Uint8Array(valueBytes).fill(0x62);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys) await adapter.put(keyBytes(next++), value);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(preloadConcurrency, keys) }, worker));
  } finally {
    adapter.close();
  }
}
