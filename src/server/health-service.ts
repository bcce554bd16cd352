/**
 * The standard gRPC health service (grpc.health.v1.Health) on the client port, so load balancers,
 * Kubernetes gRPC probes and grpc_health_probe work without knowing raftkv. The overall status
 * ("") and the Kv service follow readiness.ts: NOT_SERVING while a group here knows no leader, a
 * replica is catching up or unverified, or an alarm is raised. The Cluster service stays SERVING
 * while the process runs: operators need status and alarm calls most when data calls fail.
 * Statuses are refreshed on a timer, so Watch streams see each change within that interval.
 */
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Readiness } from './readiness.js';

export const HEALTH_REFRESH_MS = 1_000;
export const KV_SERVICE_NAME = 'raftkv.v1.Kv';
export const CLUSTER_SERVICE_NAME = 'raftkv.v1.Cluster';

export class NodeHealth {
  readonly implementation = new HealthImplementation({ '': 'NOT_SERVING', [KV_SERVICE_NAME]: 'NOT_SERVING', [CLUSTER_SERVICE_NAME]: 'SERVING' });
  private last: ServingStatus = 'NOT_SERVING';

  constructor(private readonly readiness: () => Readiness) {}

  refresh(): void {
    const next: ServingStatus = this.readiness().ready ? 'SERVING' : 'NOT_SERVING';
    if (next === this.last) return;
    this.last = next;
    this.implementation.setStatus('', next);
    this.implementation.setStatus(KV_SERVICE_NAME, next);
  }

  /** While the node shuts down: every service, so balancers drain it first. */
  stopping(): void {
    for (const name of ['', KV_SERVICE_NAME, CLUSTER_SERVICE_NAME]) this.implementation.setStatus(name, 'NOT_SERVING');
  }
}
