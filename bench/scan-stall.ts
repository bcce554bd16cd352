/**
 * Whole-keyspace scans while writes run (issue #14 item 2): does a big Range stall the node that
 * serves it? Starts a local 3-node cluster (leader balancing off, so a term only moves by an
 * election), loads --keys keys, then runs two phases of --seconds each with the same writers and
 * a Status poller on node 1: "base" (writes only) and "scan" (plus --scanners loops of Range with
 * limit 0 over the whole key space, through node 1's own merge, following page tokens). Prints
 * JSON: put and Status latency (p50/p99/max) per phase, leader and term changes seen, the scans
 * (pages, keys, largest page, time per scan) and node 1's peak RSS.
 *
 *   npx tsx bench/scan-stall.ts --keys 200000 --groups 16 --seconds 20
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient, type KvClient } from '../src/client/kv-client.js';
import { decodeShardMap } from '../src/client/cluster-types.js';
import { KvStub } from '../src/client/kv-stub.js';
import { startLocalCluster } from './support/local-cluster.js';

const { values: flags } = parseArgs({
  options: {
    keys: { type: 'string', default: '200000' }, groups: { type: 'string', default: '16' }, seconds: { type: 'string', default: '20' },
    writers: { type: 'string', default: '8' }, scanners: { type: 'string', default: '1' }, 'value-bytes': { type: 'string', default: '100' },
  },
});
const KEYS = Number(flags.keys);
const GROUPS = Number(flags.groups);
const PHASE_MS = Number(flags.seconds) * 1000;
const WRITERS = Number(flags.writers);
const SCANNERS = Number(flags.scanners);
const VALUE = 'v'.repeat(Number(flags['value-bytes']));
/** Items per load batch (the server's bound is 1000 per group). */
const LOAD_BATCH_ITEMS = 1000;
const STATUS_EVERY_MS = 50;
const LEADER_POLL_MS = 250;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentiles(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

async function timed(call: () => Promise<unknown>, into: number[]): Promise<void> {
  const start = performance.now();
  await call().catch(() => undefined);
  into.push(performance.now() - start);
}

/** Group → "leader L term T" as node `stub` knows it. */
async function leaders(stubs: readonly KvStub[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const stub of stubs) {
    const map = decodeShardMap(await stub.callCluster('ShardMap', {}, { deadlineMs: 10_000 }).catch(() => ({})));
    for (const g of map.groups) if (g.leaderId > 0 && !out.has(g.group)) out.set(g.group, `leader ${g.leaderId} term ${g.term}`);
  }
  return out;
}

async function load(kv: KvClient): Promise<number> {
  const start = performance.now();
  for (let from = 0; from < KEYS; from += LOAD_BATCH_ITEMS) {
    const items = Array.from({ length: Math.min(LOAD_BATCH_ITEMS, KEYS - from) }, (_, i) => ({ key: `scan/${String(from + i).padStart(8, '0')}`, value: VALUE }));
    for (let attempt = 1; ; attempt++) {
      try {
        await kv.batch(items);
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
      }
    }
  }
  return Math.round(performance.now() - start);
}

interface ScanStats { scans: number; pages: number; keys: number; largestPage: number; msPerScan: number[]; pageMs: number[]; errors: Map<string, number> }

async function scanLoop(stub: KvStub, until: () => boolean, stats: ScanStats): Promise<void> {
  while (!until()) {
    const start = performance.now();
    let pageToken = Buffer.alloc(0);
    for (;;) {
      const pageStart = performance.now();
      const response = await stub.call('Range', { start: Buffer.alloc(0), prefix: true, limit: '0', keysOnly: false, pageToken }, { deadlineMs: 60_000 })
        .catch((error: unknown) => {
          const kind = error instanceof Error ? error.message.slice(0, 80) : String(error);
          stats.errors.set(kind, (stats.errors.get(kind) ?? 0) + 1);
          return undefined;
        });
      if (response === undefined) break;
      stats.pageMs.push(performance.now() - pageStart);
      const kvs = Array.isArray(response['kvs']) ? response['kvs'] : [];
      stats.pages++;
      stats.keys += kvs.length;
      stats.largestPage = Math.max(stats.largestPage, kvs.length);
      if (response['more'] !== true) {
        stats.scans++;
        stats.msPerScan.push(Math.round(performance.now() - start));
        break;
      }
      pageToken = Buffer.from(response['nextPageToken'] as Uint8Array);
    }
  }
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

async function phase(name: string, kv: KvClient, stubs: readonly KvStub[], pid: number, scanners: number) {
  const endAt = performance.now() + PHASE_MS;
  const done = () => performance.now() >= endAt;
  const puts: number[] = [];
  const statuses: number[] = [];
  const changes: string[] = [];
  let rssPeak = rssMiB(pid);
  const scan: ScanStats = { scans: 0, pages: 0, keys: 0, largestPage: 0, msPerScan: [], pageMs: [], errors: new Map<string, number>() };
  let seen = await leaders(stubs);
  const writers = Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = 0; !done(); i++) await timed(() => kv.put(`w/${w}/${i % 100}`, String(i), { deadlineMs: 10_000 }), puts);
  });
  const poller = (async () => {
    while (!done()) {
      await timed(() => stubs[0]?.call('Status', {}, { deadlineMs: 30_000 }) ?? Promise.resolve(), statuses);
      rssPeak = Math.max(rssPeak, rssMiB(pid));
      await sleep(STATUS_EVERY_MS);
    }
  })();
  const watcher = (async () => {
    while (!done()) {
      await sleep(LEADER_POLL_MS);
      const now = await leaders(stubs);
      for (const [group, state] of now) if (seen.get(group) !== undefined && seen.get(group) !== state) changes.push(`group ${group}: ${seen.get(group)} -> ${state}`);
      seen = new Map([...seen, ...now]);
    }
  })();
  const scans = Array.from({ length: scanners }, () => {
    const stub = stubs[0];
    return stub === undefined ? Promise.resolve() : scanLoop(stub, done, scan);
  });
  await Promise.all([...writers, poller, watcher, ...scans]);
  return {
    phase: name, seconds: PHASE_MS / 1000, put: percentiles(puts), status: percentiles(statuses), leaderOrTermChanges: changes.length, changes: changes.slice(0, 20),
    node1RssPeakMiB: rssPeak,
    ...(scanners > 0 ? { scan: { completed: scan.scans, pages: scan.pages, keys: scan.keys, largestPage: scan.largestPage, msPerScan: scan.msPerScan, pageMs: percentiles(scan.pageMs), errors: Object.fromEntries(scan.errors) } } : {}),
  };
}

async function main(): Promise<void> {
  const cluster = await startLocalCluster({ nodes: 3, extraFlags: ['--groups', String(GROUPS), '--balance-leaders=false'] });
  const stubs = cluster.endpoints.map((e) => new KvStub(e));
  const kv = createClient({ endpoints: cluster.endpoints, defaultDeadlineMs: 30_000, retry: { attemptsMax: 30 } });
  try {
    for (let i = 0; (await leaders(stubs)).size < GROUPS; i++) {
      if (i > 240) throw new Error('No leader in every group after 60 s');
      await sleep(250);
    }
    const loadMs = await load(kv);
    const pid = cluster.pids[0] ?? 0;
    const base = await phase('base', kv, stubs, pid, 0);
    const scan = await phase('scan', kv, stubs, pid, SCANNERS);
    console.log(JSON.stringify({ keys: KEYS, groups: GROUPS, writers: WRITERS, scanners: SCANNERS, valueBytes: VALUE.length, loadMs, phases: [base, scan] }, null, 1));
  } finally {
    kv.close();
    for (const stub of stubs) stub.close();
    await cluster.stop();
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(`scan-stall: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
