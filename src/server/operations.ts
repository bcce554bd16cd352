/**
 * What operators and their tools talk to besides the data API: Prometheus metrics and HTTP
 * probes on `--metrics-listen` (metrics-server.ts), the gRPC health service and gRPC reflection on
 * the client port (so grpcurl and grpc_health_probe work without proto files). One place that
 * main.ts starts and stops.
 */
import type * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import type { NodeHost } from '../runtime/node-host.js';
import type { Logger } from '../shared/logger.js';
import type { NodeStorage } from '../storage/node-storage.js';
import type { TransportStats } from '../transport/peer-transport.js';
import { loadProtos } from '../transport/proto-loader.js';
import type { Alarms } from './alarms.js';
import { HEALTH_REFRESH_MS, NodeHealth } from './health-service.js';
import { startMetricsServer, type RunningMetricsServer } from './metrics-server.js';
import { NodeMetrics } from './metrics.js';
import { Periodic } from './periodic.js';
import { readinessOf } from './readiness.js';

export interface OperationsParts {
  readonly metricsListen: string | undefined;
  readonly tickMs: number;
  readonly host: NodeHost;
  readonly storage: NodeStorage;
  readonly alarms: Alarms;
  readonly transportStats: () => TransportStats;
  readonly replicasRefused: () => number;
  readonly quotaBytes: number;
  readonly log: Logger;
}

export class Operations {
  readonly metrics: NodeMetrics;
  private readonly health: NodeHealth;
  private readonly timers: Periodic[];
  private http: RunningMetricsServer | null = null;

  constructor(private readonly parts: OperationsParts) {
    const { host, storage, alarms } = parts;
    this.metrics = new NodeMetrics({
      host, alarms, transportStats: parts.transportStats, replicasRefused: parts.replicasRefused, quotaBytes: parts.quotaBytes,
      dbBytes: () => ({ inUse: storage.db.usedBytes(), total: storage.db.fileBytes() }),
    });
    host.setObserver(this.metrics);
    this.health = new NodeHealth(() => readinessOf(host, alarms));
    this.timers = [new Periodic(parts.tickMs, () => this.metrics.sampleLeaders()), new Periodic(HEALTH_REFRESH_MS, () => this.health.refresh())];
  }

  /** Adds the health and reflection services to the client port's server (before it binds). */
  addServices(server: grpc.Server): void {
    this.health.implementation.addToServer(server);
    new ReflectionService(loadProtos()).addToServer(server);
  }

  /** For a service's RpcContext.observeCall. */
  callObserver(service: string): (method: string, code: string, seconds: number) => void {
    return (method, code, seconds) => this.metrics.callHandled(service, method, code, seconds);
  }

  async start(): Promise<void> {
    for (const timer of this.timers) timer.start();
    const { metricsListen, host, alarms, log } = this.parts;
    if (metricsListen === undefined) return;
    this.http = await startMetricsServer({ listen: metricsListen, registry: this.metrics.registry, readiness: () => readinessOf(host, alarms), log });
  }

  /** First of the shutdown: balancers see NOT_SERVING while calls drain. */
  draining(): void {
    this.health.stopping();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) timer.stop();
    await this.http?.close();
  }
}
