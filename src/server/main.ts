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
import { NodeStorage } from '../storage/node-storage.js';
import { GroupDriver } from '../runtime/group-driver.js';
import { NodeHost } from '../runtime/node-host.js';
import { GrpcPeerTransport, peerServerOptions } from '../transport/grpc-peer-transport.js';
import { kvServiceDefinition } from '../transport/proto-loader.js';
import type { ServerConfig } from './config.js';
import { createKvService } from './kv-service.js';

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
  const addresses = new Map<NodeId, string>([...config.peers].map(([id, addr]) => [nodeId(id), addr]));
  const addressOf = (node: NodeId): string | undefined => addresses.get(node);
  const server = new grpc.Server({
    ...peerServerOptions(),
    'grpc.max_receive_message_length': Math.max(Number(peerServerOptions()['grpc.max_receive_message_length']), config.requestBytesMax * 2),
  });
  const self = nodeId(config.nodeId);
  const peers = new Map([...addresses].filter(([id]) => id !== self));
  const transport = new GrpcPeerTransport({ self, clusterId: config.clusterId, address: config.advertise, peers, server, logger: log.child({ component: 'transport' }) });
  const host = new NodeHost({ nodeId: self, storage, transport, tickMs: config.tickMs, snapshotEntries: config.snapshotEntries, logger: log });
  await openGroup(config, storage, host, addressOf, log);
  const fatal = (error: Error): void => exitFatal(log, error);
  server.addService(kvServiceDefinition(), createKvService({
    nodeId: config.nodeId, host, requestBytesMax: config.requestBytesMax, leaseReads: config.leaseReads, defaultDeadlineMs: config.defaultDeadlineMs,
    logger: log.child({ component: 'kv' }), onFatal: fatal,
    status: { nodeId: config.nodeId, host, dbPath, version: packageVersion(), addressOf },
  }));
  const port = await bind(server, config.listen);
  host.start();
  log.info({ listen: config.listen, port, dataDir: config.dataDir, peers: Object.fromEntries(config.peers) }, 'serving');
  const stop = async (): Promise<void> => {
    await shutdownServer(server);
    host.close();
    await transport.close();
    storage.close();
    log.info({}, 'stopped');
  };
  return { port, stop };
}

async function openGroup(config: ServerConfig, storage: NodeStorage, host: NodeHost, addressOf: (n: NodeId) => string | undefined, log: Logger): Promise<void> {
  const group = groupId(0);
  const founders = [...config.peers.keys()].map(nodeId);
  const initial = config.join ? joinerState() : founderState(founders);
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
  host.addGroup(new GroupDriver({ group, core, storage: groupStorage, pendingProposalsMax: config.pendingProposalsMax, addressOf, logger: groupLog }));
  const s = core.status();
  log.info({ group, term: s.term, commit: s.commit, applied: groupStorage.kv.appliedIndex(), index: s.lastIndex }, 'recovered group from disk');
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
