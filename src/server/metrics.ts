/**
 * Prometheus metrics of one node. Names follow etcd's where the meaning is the same (with the
 * `raftkv_` prefix, and go-grpc-prometheus's `grpc_server_*` for calls), so etcd dashboards and
 * alerts translate by a rename. Almost everything is read from the node's own state when a scrape
 * arrives (collect callbacks), so the hot path pays only for what it must observe as it happens:
 * one counter and one histogram per gRPC call, one histogram per persist and apply round.
 * Metrics live in a registry of their own (not prom-client's global), so two nodes in one process
 * (tests) do not share series.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeHost } from '../runtime/node-host.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { PeerStats, TransportStats } from '../transport/peer-transport.js';
import type { Alarms } from './alarms.js';

/** What the metrics read at scrape time. */
export interface MetricsSources {
  readonly host: NodeHost;
  readonly transportStats: () => TransportStats;
  readonly alarms: Alarms;
  /** SQLite pages in use and the database file's size, in bytes. */
  readonly dbBytes: () => { inUse: number; total: number };
  readonly replicasRefused: () => number;
  /** --quota-bytes (0: off). */
  readonly quotaBytes: number;
}

/** Disk latencies: etcd's buckets (1 ms to ~8 s, doubling). */
const DISK_BUCKETS = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];
const CALL_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SNAPSHOT_BUCKETS = [0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900];

export class NodeMetrics {
  readonly registry = new Registry();
  private readonly handled: Counter<'grpc_service' | 'grpc_method' | 'grpc_code'>;
  private readonly handling: Histogram<'grpc_service' | 'grpc_method'>;
  private readonly fsync: Histogram;
  private readonly backendCommit: Histogram;
  private readonly snapshotInstall: Histogram;
  private readonly snapshotSave: Histogram;
  private readonly leaderChanges: Counter;
  private readonly leaderSeen = new Map<number, number | null>();

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    this.handled = new Counter({ name: 'grpc_server_handled_total', help: 'Client calls completed, by service, method and status code.', labelNames: ['grpc_service', 'grpc_method', 'grpc_code'], registers });
    this.handling = new Histogram({ name: 'grpc_server_handling_seconds', help: 'Time to complete a client call, by service and method.', labelNames: ['grpc_service', 'grpc_method'], buckets: CALL_BUCKETS, registers });
    this.fsync = new Histogram({ name: 'raftkv_disk_wal_fsync_duration_seconds', help: 'Durable (fsynced) commits of a round of Raft state: log entries, hard states and snapshot chunks of every group.', buckets: DISK_BUCKETS, registers });
    this.backendCommit = new Histogram({ name: 'raftkv_disk_backend_commit_duration_seconds', help: 'Commits of applied entries into the state machine, one per group per round.', buckets: DISK_BUCKETS, registers });
    this.snapshotInstall = new Histogram({ name: 'raftkv_snapshot_install_duration_seconds', help: 'Installs of received snapshots.', buckets: SNAPSHOT_BUCKETS, registers });
    this.snapshotSave = new Histogram({ name: 'raftkv_snapshot_save_total_duration_seconds', help: 'Snapshots produced for log compaction.', buckets: SNAPSHOT_BUCKETS, registers });
    this.leaderChanges = new Counter({ name: 'raftkv_server_leader_changes_seen_total', help: 'Leader changes this node saw, over all its groups (sampled every tick).', registers });
    this.groupGauges(registers);
    this.networkCounters(registers);
    this.nodeGauges(registers);
  }

  /** A client call ended with `code` (a grpc status name such as OK or UNAVAILABLE). */
  callHandled(service: string, method: string, code: string, seconds: number): void {
    this.handled.inc({ grpc_service: service, grpc_method: method, grpc_code: code });
    this.handling.observe({ grpc_service: service, grpc_method: method }, seconds);
  }

  persisted(seconds: number, synced: boolean): void {
    if (synced) this.fsync.observe(seconds);
  }

  applied(seconds: number): void {
    this.backendCommit.observe(seconds);
  }

  snapshotInstalled(seconds: number): void {
    this.snapshotInstall.observe(seconds);
  }

  snapshotProduced(seconds: number): void {
    this.snapshotSave.observe(seconds);
  }

  /** Compares every group's leader with the last tick's; called once per tick. */
  sampleLeaders(): void {
    for (const driver of this.sources.host.allGroups()) {
      // The field, not status(): status() builds a progress map, and this runs every tick.
      const leader = driver.core.leader;
      const before = this.leaderSeen.get(driver.group);
      if (before !== undefined && before !== leader && leader !== null) this.leaderChanges.inc();
      if (before === undefined || leader !== null) this.leaderSeen.set(driver.group, leader);
    }
  }

  private groupGauges(registers: Registry[]): void {
    const drivers = (): GroupDriver[] => [...this.sources.host.allGroups()];
    const gauge = (name: string, help: string, value: (d: GroupDriver[]) => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(value(drivers())); } });
    };
    gauge('raftkv_server_has_leader', '1 if every group hosted here knows a leader, else 0.', (d) => (d.every((g) => g.core.status().leader !== null) ? 1 : 0));
    gauge('raftkv_server_groups', 'Raft groups hosted on this node.', (d) => d.length);
    gauge('raftkv_server_groups_without_leader', 'Groups hosted here that know no leader.', (d) => d.filter((g) => g.core.status().leader === null).length);
    gauge('raftkv_server_groups_led', 'Groups this node leads.', (d) => d.filter((g) => g.core.status().role === 'leader').length);
    gauge('raftkv_server_quiesced_groups', 'Idle groups that stopped heartbeating.', (d) => d.filter((g) => g.core.isQuiesced()).length);
    gauge('raftkv_server_proposals_committed_total', 'Sum of the commit indexes of the groups hosted here.', (d) => sum(d, (g) => g.core.status().commit));
    gauge('raftkv_server_proposals_applied_total', 'Sum of the applied indexes of the groups hosted here.', (d) => sum(d, (g) => g.storage.kv.appliedIndex()));
    gauge('raftkv_server_proposals_pending', 'Client writes waiting for their entry to apply (all groups).', () => this.sources.host.pending.proposals.size);
    gauge('raftkv_server_reads_pending', 'Linearizable and lease reads waiting for confirmation (all groups).', () => this.sources.host.pending.reads.size);
    gauge('raftkv_server_raft_log_bytes', 'Bytes of log entry data kept since the last snapshot, all groups.', (d) => sum(d, (g) => g.storage.log.bytesSinceSnapshot()));
    new Gauge({
      name: 'raftkv_server_apply_lag_entries', help: 'Committed entries not yet applied, per group.', labelNames: ['group'], registers,
      collect() {
        this.reset();
        for (const g of drivers()) this.set({ group: String(g.group) }, Math.max(0, g.core.status().commit - g.storage.kv.appliedIndex()));
      },
    });
  }

  private networkCounters(registers: Registry[]): void {
    const stats = this.sources.transportStats;
    const perPeer = (name: string, help: string, label: 'To' | 'From', value: (p: PeerStats) => number): void => {
      new Counter({
        name, help, labelNames: [label], registers,
        collect() {
          this.reset();
          for (const [peer, p] of stats().peers) this.inc({ [label]: String(peer) }, value(p));
        },
      });
    };
    perPeer('raftkv_network_peer_sent_bytes_total', 'Bytes of Raft message batches sent to each peer.', 'To', (p) => p.bytesSent);
    perPeer('raftkv_network_peer_received_bytes_total', 'Bytes of Raft message batches received from each peer.', 'From', (p) => p.bytesReceived);
    perPeer('raftkv_network_peer_sent_messages_total', 'Raft messages sent to each peer.', 'To', (p) => p.messagesSent);
    perPeer('raftkv_network_peer_received_messages_total', 'Raft messages received from each peer.', 'From', (p) => p.messagesReceived);
    perPeer('raftkv_network_peer_sent_failures_total', 'Raft messages to each peer dropped (queue full or oversize).', 'To', (p) => p.droppedQueueFull + p.droppedOversize);
    perPeer('raftkv_network_peer_reconnects_total', 'Streams to each peer opened again after a failure.', 'To', (p) => p.reconnects);
    new Counter({
      name: 'raftkv_network_peer_messages_refused_total', help: 'Inbound peer messages refused at the boundary, by reason.', labelNames: ['reason'], registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(stats().refusedMessages)) this.inc({ reason }, n);
      },
    });
  }

  private nodeGauges(registers: Registry[]): void {
    const { dbBytes, alarms, replicasRefused, quotaBytes } = this.sources;
    new Gauge({ name: 'raftkv_server_quota_backend_bytes', help: 'The space quota (--quota-bytes; 0: off).', registers, collect() { this.set(quotaBytes); } });
    new Gauge({ name: 'raftkv_mvcc_db_total_size_in_bytes', help: 'Size of the database file.', registers, collect() { this.set(dbBytes().total); } });
    new Gauge({ name: 'raftkv_mvcc_db_total_size_in_use_in_bytes', help: 'Database pages in use (what the space quota counts).', registers, collect() { this.set(dbBytes().inUse); } });
    new Gauge({
      name: 'raftkv_server_alarms', help: 'Alarms raised on this node, by kind (NOSPACE, CORRUPT).', labelNames: ['kind'], registers,
      collect() {
        this.reset();
        for (const kind of ['NOSPACE', 'CORRUPT']) this.set({ kind }, 0);
        for (const alarm of alarms.list()) this.inc({ kind: alarm.kind });
      },
    });
    new Counter({ name: 'raftkv_server_replicas_refused_total', help: 'Replicas a leader asked this node to create that the shard map does not place here.', registers, collect() { this.reset(); this.inc(replicasRefused()); } });
  }
}

function sum(drivers: readonly GroupDriver[], value: (d: GroupDriver) => number): number {
  let total = 0;
  for (const d of drivers) total += value(d);
  return total;
}
