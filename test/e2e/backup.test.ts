// Goal: a backup of a sharded cluster holds every group and founds a working cluster again
// (issue #14 item 4). Method: 3 real nodes, 4 data groups with 2 replicas each (no node hosts
// every group, so the save must gather groups from several nodes); write keys across all groups,
// `kvctl snapshot save`, check `kvctl snapshot status` lists the meta group and every data group,
// stop every node, wipe its data dir, `raftkv restore` each node, start them again and read every
// key back. Then a truncated and a bit-flipped copy of the archive are refused by `snapshot status`
// and by `raftkv restore`, which leaves the data dir empty. BACKUP_KEYS sets the key count (the
// issue's 50k run is `BACKUP_KEYS=50000 npx vitest run test/e2e/backup.test.ts`).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, KvError, op } from '../../src/client/kv-client.js';
import { Cluster, pollUntil, sleep } from '../integration/cluster.js';
import { kvctl, raftkvRestore, type KvctlResult } from './kvctl-process.js';

const GROUPS = 4;
const KEYS = Number(process.env['BACKUP_KEYS'] ?? 2_000);
/** Keys per transaction: they share a {hash tag}, so they live in one group. */
const BATCH = 100;
const WRITERS = 8;
const keyOf = (i: number): string => `backup/{b${Math.floor(i / BATCH)}}/${i}`;
const valueOf = (i: number): string => `value-${i}`;

let cluster: Cluster | undefined;

function live(): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

function run(args: readonly string[]): Promise<KvctlResult> {
  const c = live();
  return kvctl(args, { endpoints: c.ids().map((id) => c.address(id)), timeoutMs: 120_000 });
}

/** Runs `work` on each batch of key numbers, WRITERS at a time. */
async function forEachBatch(work: (keys: readonly number[]) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: WRITERS }, async () => {
    for (let b = next++; b * BATCH < KEYS; b = next++) {
      await work(Array.from({ length: Math.min(BATCH, KEYS - b * BATCH) }, (_, j) => b * BATCH + j));
    }
  }));
}

/** Retried while a group has no leader for a while (elections on a loaded machine). */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      // Same keys, same values: a batch that may have applied is safe to send again.
      if (attempt >= 20 || !(error instanceof KvError)) throw error;
      await sleep(100);
    }
  }
}

async function waitForAllLeaders(c: Cluster): Promise<void> {
  await pollUntil('a leader in every group', 60_000, async () => {
    const client = createClient({ endpoints: c.ids().map((id) => c.address(id)), defaultDeadlineMs: 2_000 });
    try {
      const map = await client.shardMap();
      return map.groups.length === GROUPS && map.groups.every((g) => g.leaderId > 0) ? true : undefined;
    } catch {
      return undefined;
    } finally {
      client.close();
    }
  });
}

beforeAll(async () => {
  // Slower ticks than the default: fewer spurious elections on a loaded machine.
  cluster = await Cluster.start({ size: 3, tickMs: 50, electionTicks: 20, flags: ['--groups', String(GROUPS), '--replicas', '2', '--balance-leaders=false'] });
  await waitForAllLeaders(cluster);
}, 120_000);
afterEach((context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
});
afterAll(async () => {
  await cluster?.stopAll();
});

describe('backup and restore of a sharded cluster', () => {
  it('saves every group, restores all nodes from the archive and reads every key back', async () => {
    const c = live();
    const client = createClient({ endpoints: c.ids().map((id) => c.address(id)), defaultDeadlineMs: 10_000 });
    try {
      await forEachBatch(async (keys) => void (await retrying(() => client.txn().then(...keys.map((i) => op.put(keyOf(i), valueOf(i)))).commit())));
    } finally {
      client.close();
    }
    const file = join(c.root, 'backup.snap');
    const saved = await run(['snapshot', 'save', file, '-o', 'json']);
    expect([saved.code, saved.stderr]).toEqual([0, '']);
    const status = await run(['snapshot', 'status', file, '-o', 'json']);
    expect([status.code, status.stderr]).toEqual([0, '']);
    const manifest = JSON.parse(status.stdout) as { sharded: boolean; epoch: number; groups: { group: number; index: number; bytes: number }[]; ring: unknown[] };
    expect(manifest.sharded).toBe(true);
    expect(manifest.groups.map((g) => g.group)).toEqual([0, ...Array.from({ length: GROUPS }, (_, i) => i + 1)]);
    expect(manifest.ring).toHaveLength(GROUPS);
    for (const g of manifest.groups) expect(g.index).toBeGreaterThan(0);

    for (const id of c.ids()) {
      await c.kill(id, 'SIGTERM');
      rmSync(c.dataDir(id), { recursive: true, force: true });
    }
    for (const id of c.ids()) {
      const restored = await raftkvRestore(['--from', file, '--data-dir', c.dataDir(id), '--node-id', String(id), '--peers', c.peersFlag()]);
      expect([restored.code, restored.stderr]).toEqual([0, '']);
      expect(restored.stdout).toMatch(/--groups 4/);
    }
    for (const id of c.ids()) await c.restart(id);
    await waitForAllLeaders(c);
    const reader = createClient({ endpoints: c.ids().map((id) => c.address(id)), defaultDeadlineMs: 10_000 });
    const wrong: number[] = [];
    try {
      await forEachBatch(async (keys) => {
        const read = await retrying(() => reader.txn().then(...keys.map((i) => op.get(keyOf(i)))).commit());
        for (const [j, i] of keys.entries()) {
          const result = read.results[j];
          const value = result?.type === 'get' && result.kv !== null ? new TextDecoder().decode(result.kv.value) : undefined;
          if (value !== valueOf(i)) wrong.push(i);
        }
      });
      // The restored cluster takes writes too.
      await reader.put('after-restore', 'yes');
    } finally {
      reader.close();
    }
    expect(wrong).toEqual([]);
  }, 600_000);

  it('refuses a truncated or bit-flipped archive in snapshot status and restore, writing nothing', async () => {
    const c = live();
    const file = join(c.root, 'backup.snap');
    const size = statSync(file).size;
    const truncated = join(c.root, 'truncated.snap');
    writeFileSync(truncated, readFileSync(file).subarray(0, Math.floor(size / 2)));
    const flipped = join(c.root, 'flipped.snap');
    copyFileSync(file, flipped);
    const bytes = readFileSync(flipped);
    bytes[Math.floor(size / 3)] = (bytes[Math.floor(size / 3)] ?? 0) ^ 0x10;
    writeFileSync(flipped, bytes);
    for (const [bad, problem] of [[truncated, /truncated/], [flipped, /checksum/]] as const) {
      const status = await run(['snapshot', 'status', bad]);
      expect(status.code).toBe(1);
      expect(status.stderr).toMatch(problem);
      const dataDir = join(c.root, 'refused');
      mkdirSync(dataDir, { recursive: true });
      const restored = await raftkvRestore(['--from', bad, '--data-dir', dataDir, '--node-id', '1', '--peers', c.peersFlag()]);
      expect(restored.code).toBe(1);
      expect(restored.stderr).toMatch(problem);
      expect(readdirSync(dataDir)).toEqual([]);
    }
  }, 120_000);
});
