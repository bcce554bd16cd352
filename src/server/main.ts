/**
 * `raftkv serve`: wires storage, transport, the Raft groups and the gRPC service into one process.
 * Makes the one root logger, installs the fatal handlers (a broken invariant logs at fatal and
 * exits), recovers from disk on restart, and shuts down gracefully on SIGTERM/SIGINT: stop
 * accepting calls, let in-flight ones finish (bounded), stop the groups, close the database.
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { groupId, nodeId, type NodeId } from '../shared/ids.js';
import { coreLoggerFrom, createRootLogger, type Logger } from '../shared/logger.js';
import { SeededRng } from '../shared/rng.js';
import { founderState, joinerState } from '../raft/bootstrap.js';
import { defaultTuning } from '../raft/config.js';
import { RaftNode } from '../raft/node.js';
import type { ConfState } from '../raft/types.js';
import { NodeStorage } from '../storage/node-storage.js';
import { GroupDriver } from '../runtime/group-driver.js';
import { NodeHost } from '../runtime/node-host.js';
import { GrpcPeerTransport, peerServerOptions } from '../transport/grpc-peer-transport.js';
import { clusterServiceDefinition, kvServiceDefinition } from '../transport/proto-loader.js';
import type { ServerConfig } from './config.js';
import { createClusterService } from './cluster-service.js';
import { createKvService } from './kv-service.js';
import { CallTracker, type RpcContext } from './rpc.js';

/** Sessions kept per group (replicated: every node must use the same value). */
const SESSIONS_MAX = 100_000;
const SHUTDOWN_GRACE_MS = 5_000;

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

export function packageVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function runServer(config: ServerConfig, log: Logger = createRootLogger(config.logLevel, { node: config.nodeId })): Promise<RunningServer> {
  installFatalHandlers(log);
  mkdirSync(config.dataDir, { recursive: true });
  const dbPath = join(config.dataDir, 'raftkv.db');
  const storage = NodeStorage.open({ path: dbPath, kv: { sessionTtlMs: config.sessionTtlMs, sessionsMax: SESSIONS_MAX } });
  const configured = new Map<NodeId, string>([...config.peers].map(([id, addr]) => [nodeId(id), addr]));
  const server = new grpc.Server({
    ...peerServerOptions(),
    'grpc.max_receive_message_length': Math.max(Number(peerServerOptions()['grpc.max_receive_message_length']), config.requestBytesMax * 2),
  });
  const self = nodeId(config.nodeId);
  const transport = new GrpcPeerTransport({ self, clusterId: config.clusterId, address: config.advertise, peers: peersOf(self, configured, undefined), server, logger: log.child({ component: 'transport' }) });
  const host = new NodeHost({ nodeId: self, storage, transport, tickMs: config.tickMs, snapshotEntries: config.snapshotEntries, logger: log });
  const driver = await openGroup(config, storage, host, configured, log, (conf) => transport.setPeers(peersOf(self, configured, conf)));
  transport.setPeers(peersOf(self, configured, driver.storage.kv.confState()));
  const addressOf = (node: NodeId): string | undefined => driver.storage.kv.confState().addresses?.[String(node)] ?? configured.get(node);
  const calls = new CallTracker();
  const rpc: RpcContext = {
    logger: log.child({ component: 'rpc' }), requestBytesMax: config.requestBytesMax, defaultDeadlineMs: config.defaultDeadlineMs,
    onFatal: (error) => exitFatal(log, error), calls,
  };
  server.addService(kvServiceDefinition(), createKvService({
    ...rpc, nodeId: config.nodeId, host, leaseReads: config.leaseReads,
    status: { nodeId: config.nodeId, host, dbPath, version: packageVersion(), addressOf },
  }));
  server.addService(clusterServiceDefinition(), createClusterService({ ...rpc, nodeId: config.nodeId, host, storage, configuredAddress: (n) => configured.get(n) }));
  const port = await bind(server, config.listen);
  host.start();
  log.info({ listen: config.listen, port, dataDir: config.dataDir, peers: Object.fromEntries(config.peers) }, 'serving');
  const stop = async (): Promise<void> => {
    // tryShutdown refuses new calls at once but completes only when every call has ended, and the
    // inbound peer streams never end by themselves: let client calls finish while Raft still runs
    // (bounded by the grace period), then close the transport, which ends those streams.
    const serverStopped = shutdownServer(server);
    await Promise.race([calls.idle(), serverStopped]);
    host.close();
    await transport.close();
    await serverStopped;
    storage.close();
    log.info({}, 'stopped');
  };
  return { port, stop };
}

/**
 * Peers to dial: the membership's recorded addresses win over this node's configuration, which
 * only knows the founders (and may be stale for a node that moved).
 */
function peersOf(self: NodeId, configured: ReadonlyMap<NodeId, string>, conf: ConfState | undefined): Map<NodeId, string> {
  const peers = new Map(configured);
  for (const [id, address] of Object.entries(conf?.addresses ?? {})) peers.set(nodeId(Number(id)), address);
  peers.delete(self);
  return peers;
}

async function openGroup(config: ServerConfig, storage: NodeStorage, host: NodeHost, configured: ReadonlyMap<NodeId, string>,
  log: Logger, onMembership: (conf: ConfState) => void): Promise<GroupDriver> {
  const group = groupId(0);
  const founders = [...configured.keys()];
  const addresses = Object.fromEntries([...configured].map(([id, address]) => [String(id), address]));
  const initial = config.join ? joinerState() : founderState(founders, [], addresses);
  const groupStorage = await storage.openGroup(group, initial);
  const groupLog = log.child({ component: 'raft', group });
  const core = new RaftNode({
    ...defaultTuning,
    id: nodeId(config.nodeId),
    storage: groupStorage.log,
    applied: groupStorage.kv.appliedIndex(),
    confState: groupStorage.kv.confState(),
    electionTicks: config.electionTicks,
    heartbeatTicks: config.heartbeatTicks,
    leaseReads: config.leaseReads,
    rng: new SeededRng(randomInt(2 ** 47)),
    logger: coreLoggerFrom(groupLog),
  });
  const addressOf = (node: NodeId): string | undefined => groupStorage.kv.confState().addresses?.[String(node)] ?? configured.get(node);
  const driver = new GroupDriver({ group, core, storage: groupStorage, pendingProposalsMax: config.pendingProposalsMax, addressOf, logger: groupLog, onMembership });
  host.addGroup(driver);
  const s = core.status();
  log.info({ group, term: s.term, commit: s.commit, applied: groupStorage.kv.appliedIndex(), index: s.lastIndex }, 'recovered group from disk');
  return driver;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function shutdownServer(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

function exitFatal(log: Logger, error: unknown): never {
  log.fatal({ err: error }, 'fatal error, exiting');
  process.exit(1);
}

function installFatalHandlers(log: Logger): void {
  process.on('uncaughtException', (error) => exitFatal(log, error));
  process.on('unhandledRejection', (error) => exitFatal(log, error));
}
