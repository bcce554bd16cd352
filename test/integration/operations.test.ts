// Goal: issue #16. An operator scrapes metrics, probes readiness and asks the standard gRPC
// health and reflection services of a live cluster. Method: a real sharded 3-node cluster, each
// node with --metrics-listen; scrape /metrics before and after writes; pause (SIGSTOP) two nodes
// so the third loses its leaders, and watch /readyz and grpc.health.v1 turn NOT_SERVING there and
// back to SERVING once they resume; list services through reflection, as grpcurl would.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../support/ports.js';
import { Cluster, pollUntil } from './cluster.js';
import { onLeader, putRequest } from './kv-helpers.js';

let cluster: Cluster | undefined;
let metricsPorts: number[] = [];
const waitMs = 20_000;

beforeAll(async () => {
  metricsPorts = await freePorts(3);
  const nodes = Object.fromEntries(metricsPorts.map((port, i) => [i + 1, { flags: ['--metrics-listen', `127.0.0.1:${port}`] }]));
  cluster = await Cluster.start({ size: 3, flags: ['--groups', '4', '--hash-check-interval-ms', '0'], nodes });
  await cluster.waitForLeader().catch((error: unknown) => {
    cluster?.markFailed();
    throw error;
  });
});
afterAll(async () => cluster?.stopAll());

function started(): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

async function httpGet(id: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${metricsPorts[id - 1] ?? 0}${path}`, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: await response.text() };
}

/** The value of one series (exact name and labels as printed), or undefined. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const require = createRequire(import.meta.url);
function loadService<T>(protoFile: string, path: readonly string[]): T {
  const definition = protoLoader.loadSync(protoFile, { keepCase: true, enums: String });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of path) node = (node as Record<string, unknown>)[part];
  return node as T;
}
type ClientCtor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function healthOf(address: string, service: string): Promise<string> {
  const Health = loadService<ClientCtor>(join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto'), ['grpc', 'health', 'v1', 'Health']);
  const client = new Health(address, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    const check = client['Check'] as (r: unknown, o: unknown, cb: (e: Error | null, r?: { status: string }) => void) => void;
    check.call(client, { service }, { deadline: Date.now() + 2_000 }, (error, reply) => (error === null ? resolve(reply?.status ?? '') : reject(error)));
  }).finally(() => client.close());
}

function reflectedServices(address: string): Promise<string[]> {
  const protoFile = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build/proto/grpc/reflection/v1/reflection.proto');
  const Reflection = loadService<ClientCtor>(protoFile, ['grpc', 'reflection', 'v1', 'ServerReflection']);
  const client = new Reflection(address, grpc.credentials.createInsecure());
  return new Promise<string[]>((resolve, reject) => {
    const open = client['ServerReflectionInfo'] as (o: unknown) => grpc.ClientDuplexStream<unknown, { list_services_response?: { service: { name: string }[] } }>;
    const call = open.call(client, { deadline: Date.now() + 2_000 });
    call.on('data', (reply) => {
      resolve((reply.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
      call.end();
    });
    call.on('error', reject);
    call.write({ list_services: '' });
  }).finally(() => client.close());
}

describe('metrics, probes, health and reflection', () => {
  it('exposes the key series on every node, and they move with writes', async () => {
    const c = started();
    const before = (await httpGet(1, '/metrics')).body;
    for (const name of ['raftkv_server_has_leader', 'raftkv_server_groups', 'raftkv_server_leader_changes_seen_total', 'raftkv_server_proposals_applied_total',
      'raftkv_mvcc_db_total_size_in_bytes', 'raftkv_disk_wal_fsync_duration_seconds_count', 'raftkv_server_alarms{kind="NOSPACE"}']) {
      expect(series(before, name), name).toBeTypeOf('number');
    }
    for (let i = 0; i < 20; i++) await onLeader(c, 'Put', putRequest(`ops/k${i}`, 'v'));
    const after = await pollUntil('node 1 to apply the writes', waitMs, async () => {
      const text = (await httpGet(1, '/metrics')).body;
      return (series(text, 'raftkv_server_proposals_applied_total') ?? 0) >= (series(before, 'raftkv_server_proposals_applied_total') ?? 0) + 20 ? text : undefined;
    });
    expect(series(after, 'raftkv_disk_wal_fsync_duration_seconds_count')).toBeGreaterThan(series(before, 'raftkv_disk_wal_fsync_duration_seconds_count') ?? 0);
    const puts = await Promise.all(c.ids().map(async (id) => series((await httpGet(id, '/metrics')).body, 'grpc_server_handled_total{grpc_service="raftkv.v1.Kv",grpc_method="Put",grpc_code="OK"}') ?? 0));
    expect(puts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
    expect((await httpGet(1, '/livez')).status).toBe(200);
    expect((await httpGet(1, '/nope')).status).toBe(404);
  });

  it('turns not ready and NOT_SERVING on a node cut off from its peers, and back after', async () => {
    const c = started();
    const [watched, ...others] = c.ids();
    if (watched === undefined) throw new Error('no node');
    await pollUntil('node ready', waitMs, async () => ((await httpGet(watched, '/readyz')).status === 200 ? true : undefined));
    // The health service follows readiness within its refresh interval, not at once.
    await pollUntil('health SERVING', waitMs, async () => ((await healthOf(c.address(watched), '')) === 'SERVING' ? true : undefined));
    for (const id of others) c.pause(id);
    try {
      const notReady = await pollUntil('node not ready', waitMs, async () => {
        const r = await httpGet(watched, '/readyz');
        return r.status === 503 ? r.body : undefined;
      });
      expect(notReady).toMatch(/group\(s\) know no leader/);
      await pollUntil('health NOT_SERVING', waitMs, async () => ((await healthOf(c.address(watched), 'raftkv.v1.Kv')) === 'NOT_SERVING' ? true : undefined));
      expect(await healthOf(c.address(watched), 'raftkv.v1.Cluster')).toBe('SERVING');
    } finally {
      for (const id of others) c.resume(id);
    }
    await pollUntil('health SERVING again', waitMs, async () => ((await healthOf(c.address(watched), '')) === 'SERVING' ? true : undefined));
    expect((await httpGet(watched, '/readyz')).status).toBe(200);
  });

  it('has every metric that the shipped alert rules and dashboard use', async () => {
    const text = (await httpGet(1, '/metrics')).body;
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const used = [...alertExpressions(), ...dashboardExpressions()].flatMap(metricNames);
    expect(used.length).toBeGreaterThan(20);
    expect(used.filter((name) => !exposed.has(name))).toEqual([]);
  });

  it('lists its services through gRPC reflection', async () => {
    const names = await reflectedServices(started().address(1));
    expect(names).toEqual(expect.arrayContaining(['raftkv.v1.Kv', 'raftkv.v1.Cluster']));
  });
});

function alertExpressions(): string[] {
  const rules = yaml.load(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync('deploy/grafana/raftkv.json', 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** The raftkv and gRPC series an expression reads, histogram suffixes removed. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(raftkv_[a-z_]+|grpc_server_[a-z_]+)/g)].map((m) => (m[1] ?? '').replace(/_(bucket|sum|count)$/, ''));
}
