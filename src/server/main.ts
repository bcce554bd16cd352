/**
 * `raftkv serve`: wires storage, transport, the Raft groups and the gRPC service into one process.
 * Makes the one root logger, installs the fatal handlers (a broken invariant logs at fatal and
 * exits), recovers from disk on restart, and shuts down gracefully on SIGTERM/SIGINT: stop
 * accepting calls, let in-flight ones finish (bounded), stop the groups, close the database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { nodeId, type NodeId } from '../shared/ids.js';
import { createRootLogger, type Logger } from '../shared/logger.js';
import { NodeStorage } from '../storage/node-storage.js';
import { NodeHost } from '../runtime/node-host.js';
import { clientAddressOf, memberRecord, peerAddresses } from '../shared/member-address.js';
import { checkPeerTls, createPeerPort } from './peer-server.js';
import { clusterServiceDefinition, kvServiceDefinition } from '../transport/proto-loader.js';
import { ConfigError, type ServerConfig } from './config.js';
import { createClusterService } from './cluster-service.js';
import { GroupSet } from './groups.js';
import { BALANCE_INTERVAL_MS, LeaderBalancer } from './leader-balancer.js';
import { Router } from './router.js';
import { loadKeyHasher } from '../shard/hasher.js';
import { ringPosition } from '../shard/hash-ring.js';
import { initialShardMap } from '../shard/shard-map.js';
import { createKvService } from './kv-service.js';
import { Balancer, BALANCER_INTERVAL_MS } from './balancer.js';
import { Periodic } from './periodic.js';
import { JoinRequester } from './join-requester.js';
import { MetaMap } from './meta-map.js';
import { authorize } from './access-guard.js';
import { AuthCalls } from './auth-calls.js';
import { AuthStore } from './auth-store.js';
import { ORIGIN_SETTING, RESTORED_ORIGIN } from './restore.js';
import { GC_INTERVAL_MS, ReplicaGc } from './replica-gc.js';
import { MOVE_INTERVAL_MS, ReplicaMover } from './replica-mover.js';
import { CallTracker, type RpcContext } from './rpc.js';
import { AlarmCalls } from './alarm-calls.js';
import { openAlarms } from './alarm-store.js';
import { PEER_ALARM_POLL_MS, PeerAlarms } from './peer-alarms.js';
import { QUOTA_CHECK_INTERVAL_MS, SpaceQuota } from './space-quota.js';
import { WriteAdmission } from './write-admission.js';
import { connectionLimitOptions } from './connection-limits.js';
import { ConsistencyChecker, groupHashesReply } from './consistency-checker.js';
import type { PeerStubFactory } from './peer-calls.js';
import { TlsMaterial } from '../transport/tls-material.js';
import { Operations } from './operations.js';
import { CLUSTER_SERVICE_NAME, KV_SERVICE_NAME } from './health-service.js';
import { secureDataDir } from './data-dir-modes.js';
import { warnIfInsecure } from './listen-policy.js';

/** Sessions kept per group (replicated: every node must use the same value). */
const SESSIONS_MAX = 100_000;
const SHUTDOWN_GRACE_MS = 5_000;
/**
 * Logins whose scrypt runs at once (16 MiB each): half of libuv's 4 pool threads, so the log's
 * fsyncs, which run on the same pool, always find a thread. More logins get OVERLOADED.
 */
const LOGINS_MAX = 2;

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
  // Loaded before anything touches the data dir: a bad certificate stops the start at once.
  const tls = config.tls === undefined ? undefined : TlsMaterial.load(config.tls, log.child({ component: 'tls' }));
  checkPeerTls(tls);
  warnIfInsecure(config, log);
  secureDataDir(config.dataDir, log);
  const dbPath = join(config.dataDir, 'raftkv.db');
  const sharded = config.groups > 0;
  const hasher = sharded ? await loadKeyHasher() : null;
  const ringPositionOf = hasher === null ? {} : { ringPosition: (key: Uint8Array) => ringPosition(hasher, key) };
  const storage = NodeStorage.open({ path: dbPath, kv: { sessionTtlMs: config.sessionTtlMs, sessionsMax: SESSIONS_MAX, ...ringPositionOf } });
  checkFoundingGroups(storage, config);
  const configured = new Map<NodeId, string>([...config.peers].map(([id, addr]) => [nodeId(id), addr]));
  const server = new grpc.Server({ ...connectionLimitOptions(), 'grpc.max_receive_message_length': config.requestBytesMax * 2 });
  const self = nodeId(config.nodeId);
  const peers = peerAddresses(configured);
  peers.delete(self);
  // How this node dials other nodes' client ports (replica GC's MemberList, a joiner's NodeJoin):
  // with TLS on, it verifies them against the CA and presents its own certificate.
  const nodeCredentials = tls?.channelCredentials();
  const peerPort = createPeerPort(config, self, peers, tls, log.child({ component: 'transport' }));
  const transport = peerPort.transport;
  const host = new NodeHost({ nodeId: self, storage, transport, tickMs: config.tickMs, snapshotEntries: config.snapshotEntries,
    snapshotLogBytes: config.snapshotLogBytes, catchUpTicksMax: config.electionTicks,
    pendingReadsMax: config.pendingReadsMax, pendingProposalsMax: config.pendingProposalsMax, logger: log });
  // A data dir made by `raftkv restore` already holds its groups: it founds none from the flags.
  const founding = !config.join && storage.settleSetting(ORIGIN_SETTING, 'founded') !== RESTORED_ORIGIN;
  const initialMap = sharded && founding ? initialShardMap([...configured.keys()], config.groups, config.replicas, configured) : null;
  const groups = new GroupSet({ config, self, storage, host, configured, initialMap, founding, log, onPeersChanged: (p) => transport.setPeers(peerAddresses(p)) });
  for (const group of groups.initialGroups()) await groups.open(group);
  transport.setPeers(peerAddresses(groups.peers()));
  const clientAddresses = (): Map<NodeId, string> => new Map([...groups.peers()].map(([id, record]) => [id, clientAddressOf(record)]));
  const maps = new MetaMap(host, initialMap, log.child({ component: 'shard-map' }), sharded);
  host.setUnknownGroupHandler((group, message) => groups.onUnknownGroup(group, message, maps.current()));
  const router = new Router(host, maps, hasher);
  const peerAddressesNow = (): Map<NodeId, string> => peerAddresses(groups.peers());
  const alarmParts = alarmControl(config, self, storage, { peers: peerAddressesNow, connect: peerPort.connect }, log);
  const control = [...alarmParts.parts, ...(sharded ? shardControl(config, self, { host, storage, maps, log, credentials: nodeCredentials }) : [])];
  const addressOf = (node: NodeId): string | undefined => clientAddresses().get(node) ?? (node === self ? config.advertise : undefined);
  const alarms = alarmParts.alarms;
  const checker = config.hashCheckIntervalMs > 0
    ? new ConsistencyChecker({ self, host, alarms, intervalMs: config.hashCheckIntervalMs, addressOf: (n) => peerAddressesNow().get(n),
      connect: peerPort.connect, log: log.child({ component: 'consistency' }) })
    : null;
  checker?.markRestarted(); // Before serving: a replica restarted with state must match its peers first.
  const operations = new Operations({ metricsListen: config.metricsListen, tickMs: config.tickMs, host, storage, alarms,
    transportStats: () => transport.stats(), replicasRefused: () => groups.replicasRefused, quotaBytes: config.quotaBytes, log: log.child({ component: 'operations' }) });
  const calls = new CallTracker();
  const auth = new AuthStore(host, log.child({ component: 'auth' }));
  const authCalls = new AuthCalls({ store: auth, tokenTtlMs: config.authTokenTtlMs, loginsMax: LOGINS_MAX });
  const rpc: RpcContext = {
    logger: log.child({ component: 'rpc' }), requestBytesMax: config.requestBytesMax, defaultDeadlineMs: config.defaultDeadlineMs,
    onFatal: (error) => exitFatal(log, error), calls,
    guard: (call, method, request) => authorize(auth.current(), call, method, request, Date.now(), (what) => auth.unknownError(what)),
  };
  operations.addServices(server);
  server.addService(kvServiceDefinition(), createKvService({
    ...rpc, observeCall: operations.callObserver(KV_SERVICE_NAME), nodeId: config.nodeId, host, router, leaseReads: config.leaseReads, admission: alarmParts.admission,
    status: { nodeId: config.nodeId, host, router, dbPath, version: packageVersion(), addressOf },
  }));
  server.addService(clusterServiceDefinition(), createClusterService({ ...rpc, observeCall: operations.callObserver(CLUSTER_SERVICE_NAME), nodeId: config.nodeId, host, storage, router, maps, addressOf,
    configuredAddress: (n) => configured.get(n), transportStats: () => transport.stats(), alarmCalls: alarmParts.calls, authCalls }));
  const peerPortNumber = await peerPort.bind();
  peerPort.serveCalls({ GroupHashes: () => groupHashesReply(self, host), ListAlarms: (r) => alarmParts.calls.list(r) });
  const port = await bind(server, config.listen, tls?.serverCredentials(config.tls?.clientCertAuth ?? false) ?? grpc.ServerCredentials.createInsecure());
  tls?.watch();
  host.start();
  checker?.start();
  for (const part of control) part.start();
  await operations.start();
  log.info({ listen: config.listen, port, peerListen: config.peerListen, peerPort: peerPortNumber, dataDir: config.dataDir, peers: Object.fromEntries(config.peers) }, 'serving');
  const stop = async (): Promise<void> => {
    // tryShutdown refuses new calls at once but completes only when every call has ended, and the
    // inbound peer streams never end by themselves: let client calls finish while Raft still runs
    // (bounded by the grace period), then close the transport, which ends those streams.
    operations.draining();
    const serverStopped = shutdownServer(server);
    const peerServerStopped = shutdownServer(peerPort.server);
    await Promise.race([calls.idle(), serverStopped]);
    for (const part of control) part.stop();
    await operations.stop();
    checker?.stop();
    host.close();
    await transport.close();
    await serverStopped;
    await peerServerStopped;
    storage.close();
    tls?.close();
    log.info({}, 'stopped');
  };
  return { port, stop };
}

/**
 * The node's one Alarms registry, loaded from and saved to its data dir (alarm-store.ts), and what
 * reads and raises it: the space quota check, the poll of peers' alarms, the write admission rule
 * handed to the Kv service and the ListAlarms/DisarmAlarm calls handed to the Cluster service.
 * Anything else that raises or honours alarms (the consistency check's CORRUPT) takes `alarms`
 * from here: one registry per node, so list, disarm and the alarm file see every alarm.
 */
function alarmControl(config: ServerConfig, self: NodeId, storage: NodeStorage, peers: { peers: () => ReadonlyMap<NodeId, string>; connect: PeerStubFactory }, log: Logger) {
  const alarmLog = log.child({ component: 'alarms' });
  const alarms = openAlarms(config.dataDir, (err) => alarmLog.error({ err }, 'could not save the alarms; they hold until the process exits'));
  for (const alarm of alarms.list()) alarmLog.warn({ kind: alarm.kind, group: alarm.group, reason: alarm.reason }, 'alarm still raised from before the restart');
  const quota = new SpaceQuota({ quotaBytes: config.quotaBytes, usedBytes: () => storage.db.usedBytes(), alarms, log: alarmLog });
  const peerAlarms = new PeerAlarms(self, peers.peers, alarmLog, peers.connect);
  const admission = new WriteAdmission({ self, alarms, quota, peerAlarm: (node) => peerAlarms.alarmOf(node, 'NOSPACE') });
  const calls = new AlarmCalls({ self, alarms, quota, peerAlarms: () => peerAlarms.all(), log: alarmLog });
  const parts = [new Periodic(QUOTA_CHECK_INTERVAL_MS, () => quota.check()), new Periodic(PEER_ALARM_POLL_MS, () => peerAlarms.round(), () => peerAlarms.close())];
  return { alarms, admission, calls, parts };
}

/**
 * The background parts of a sharded node: leadership spreading, carrying out the shard map's
 * replica sets, the cluster balancer (acts on the meta leader only), removing replicas this node
 * lost, and, for a node started with --join, registering itself.
 */
function shardControl(config: ServerConfig, self: NodeId, parts: { host: NodeHost; storage: NodeStorage; maps: MetaMap; log: Logger; credentials: grpc.ChannelCredentials | undefined }): { start(): void; stop(): void }[] {
  const { host, storage, maps, log, credentials } = parts;
  const mover = new ReplicaMover(self, host, maps, log.child({ component: 'mover' }));
  const balancer = new Balancer(maps, log.child({ component: 'balancer' }), config.defaultDeadlineMs);
  const gc = new ReplicaGc(self, host, storage, maps, log.child({ component: 'gc' }), credentials);
  const control: { start(): void; stop(): void }[] = [
    new Periodic(MOVE_INTERVAL_MS, () => mover.stepAll()),
    new Periodic(BALANCER_INTERVAL_MS, () => balancer.round()),
    new Periodic(GC_INTERVAL_MS, () => gc.round(), () => gc.close()),
  ];
  if (config.balanceLeaders) {
    const leaders = new LeaderBalancer(self, host, maps, log.child({ component: 'balancer' }));
    control.push(new Periodic(BALANCE_INTERVAL_MS, () => leaders.balanceOnce()));
  }
  if (config.join) {
    const record = memberRecord(config.advertise, config.peerAdvertise);
    control.push(new JoinRequester(self, record, [...config.peers.values()].map(clientAddressOf), log.child({ component: 'join' }), credentials));
  }
  return control;
}

/**
 * A data directory keeps the group count its cluster was founded with: restarting it with another
 * --groups would hide its data behind a different routing. A directory from before this setting
 * was recorded was founded unsharded if it holds only group 0.
 */
function checkFoundingGroups(storage: NodeStorage, config: ServerConfig): void {
  const stored = storage.storedGroups();
  const legacy = stored.length > 0 && stored.every((g) => g === 0) ? '0' : String(config.groups);
  const founded = Number(storage.settleSetting('groups', legacy));
  if (founded !== config.groups) {
    storage.close();
    throw new ConfigError(`Setting groups is ${config.groups}, but the data in ${config.dataDir} belongs to a cluster founded with --groups ${founded}; start with --groups ${founded}`);
  }
}

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
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
