// Goal: backup and restore keep working on a `--groups 0` cluster (one group holds every key).
// Method: one real node; write keys, `kvctl snapshot save`, check `snapshot status` lists group 0
// only, stop the node, wipe its data dir, `raftkv restore`, start it and read every key back.
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, op } from '../../src/client/kv-client.js';
import { Cluster } from '../integration/cluster.js';
import { kvctl, raftkvRestore } from './kvctl-process.js';

const KEYS = 300;
const keyOf = (i: number): string => `single/${i}`;

let cluster: Cluster | undefined;

function live(): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

beforeAll(async () => {
  cluster = await Cluster.start({ size: 1, tickMs: 50, electionTicks: 20 });
  await cluster.waitForLeader({ timeoutMs: 60_000 });
}, 120_000);
afterEach((context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
});
afterAll(async () => {
  await cluster?.stopAll();
});

describe('backup and restore of an unsharded cluster', () => {
  it('saves group 0, restores it into a wiped node and reads every key back', async () => {
    const c = live();
    const endpoints = [c.address(1)];
    const client = createClient({ endpoints, defaultDeadlineMs: 20_000 });
    try {
      for (let b = 0; b < KEYS; b += 100) await client.txn().then(...Array.from({ length: 100 }, (_, j) => op.put(keyOf(b + j), `v${b + j}`))).commit();
    } finally {
      client.close();
    }
    const file = join(c.root, 'single.snap');
    const saved = await kvctl(['snapshot', 'save', file], { endpoints, timeoutMs: 60_000 });
    expect([saved.code, saved.stderr]).toEqual([0, '']);
    expect((statSync(file).mode & 0o777).toString(8), 'a backup holds every value: owner-only').toBe('600');
    const status = await kvctl(['snapshot', 'status', file, '-o', 'json'], { endpoints, timeoutMs: 60_000 });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ sharded: false, epoch: 0, ring: [], groups: [{ group: 0 }] });

    await c.kill(1, 'SIGTERM');
    rmSync(c.dataDir(1), { recursive: true, force: true });
    const restored = await raftkvRestore(['--from', file, '--data-dir', c.dataDir(1), '--node-id', '1', '--peers', c.peersFlag()]);
    expect([restored.code, restored.stderr]).toEqual([0, '']);
    expect(restored.stdout).toMatch(/--groups 0/);
    await c.restart(1);
    await c.waitForLeader({ timeoutMs: 60_000 });
    const reader = createClient({ endpoints, defaultDeadlineMs: 20_000 });
    try {
      const values: (string | undefined)[] = [];
      for (let i = 0; i < KEYS; i++) values.push((await reader.get(keyOf(i)))?.text());
      expect(values).toEqual(Array.from({ length: KEYS }, (_, i) => `v${i}`));
    } finally {
      reader.close();
    }
  }, 300_000);
});
