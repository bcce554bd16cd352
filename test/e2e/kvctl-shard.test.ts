// Goal: kvctl on a sharded cluster where no node hosts every group (3 nodes, 8 groups, 2 replicas
// each): `shard list` shows every group's ring range, share, replicas, leader and term (table and
// JSON), `endpoint status --group N` reports a data group and marks the node without a replica,
// and data commands sent to one node reach groups that node does not host; shard pause, move,
// split and resume change the map and the cluster carries them out. Method: one cluster
// without leader balancing; wait until every group has a leader; kvctl runs as a subprocess.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeShardMap } from '../../src/client/cluster-types.js';
import { createClient } from '../../src/client/kv-client.js';
import { Cluster, pollUntil } from '../integration/cluster.js';
import { isAligned, kvctl, tableRows, type KvctlResult } from './kvctl-process.js';

const GROUPS = 8;
let cluster: Cluster | undefined;
let endpoints: string[] = [];

function run(args: readonly string[], only?: readonly string[]): Promise<KvctlResult> {
  return kvctl(args, { endpoints: only ?? endpoints });
}

function live(): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

beforeAll(async () => {
  // No leader balancing: a group whose leadership is being handed over has no leader for a moment,
  // and `shard list` would show "-" for it (the balancer is tested in test/integration/sharded.test.ts).
  cluster = await Cluster.start({ size: 3, flags: ['--groups', String(GROUPS), '--replicas', '2', '--balance-leaders=false'] });
  const c = cluster;
  endpoints = c.ids().map((id) => c.address(id));
  await pollUntil('a leader in every group', 20_000, async () => {
    const maps = await Promise.all(c.ids().map(async (id) => decodeShardMap(await c.stub(id).callCluster('ShardMap', {}, { deadlineMs: 1_000 }))));
    const led = new Set(maps.flatMap((m) => m.groups.filter((g) => g.leaderId > 0).map((g) => g.group)));
    return led.size === GROUPS ? led : undefined;
  });
});
afterEach((context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
});
afterAll(async () => {
  await cluster?.stopAll();
});

describe('kvctl on a sharded cluster', () => {
  it('shard list shows each group with its hex ring range, share, replicas, leader and term', async () => {
    // Ask one node only: kvctl asks every node the map lists, so every group's leader is known.
    const [table, asJson] = await Promise.all([run(['shard', 'list'], endpoints.slice(2)), run(['shard', 'list', '-o', 'json'])]);
    expect([table.code, table.stderr]).toEqual([0, '']);
    const [note, ...lines] = table.stdout.trimEnd().split('\n');
    expect(note).toBe(`Shard map epoch 1: ${GROUPS} groups on 3 nodes`);
    const rows = tableRows(lines.join('\n'));
    expect(rows[0]).toEqual(['GROUP', 'RANGE', 'SHARE', 'REPLICAS', 'MEMBERS', 'LEADER', 'TERM']);
    expect(isAligned(lines.join('\n'), rows[0] ?? [])).toBe(true);
    const body = rows.slice(1);
    expect(body.map((r) => r[0])).toEqual(Array.from({ length: GROUPS }, (_, i) => String(i + 1)));
    expect(body[0]?.[1]).toMatch(/^000000000000-[0-9a-f]{12}$/);
    expect(body[GROUPS - 1]?.[1]).toMatch(/^[0-9a-f]{12}-ffffffffffff$/);
    for (const [i, row] of body.entries()) {
      const [, range = '', share, replicas = '', members, leader = '', term = ''] = row;
      expect(members).toBe('=');
      const next = body[i + 1]?.[1]?.split('-')[0];
      if (next !== undefined) expect(parseInt(range.split('-')[1] ?? '', 16) + 1).toBe(parseInt(next, 16));
      expect(share).toBe('12.50%');
      expect(replicas).toMatch(/^[1-3],[1-3]$/);
      expect(replicas.split(',')).toContain(leader);
      expect(Number(term)).toBeGreaterThan(0);
    }
    expect(asJson.code).toBe(0);
    const parsed = JSON.parse(asJson.stdout) as { epoch: number; groups: { group: number; sharePercent: number; replicas: number[]; leaderId: number }[]; nodes: { address: string }[] };
    expect(parsed.epoch).toBe(1);
    expect(parsed.groups.map((g) => [g.group, g.sharePercent, g.replicas.length])).toEqual(Array.from({ length: GROUPS }, (_, i) => [i + 1, 12.5, 2]));
    expect(parsed.groups.every((g) => g.replicas.includes(g.leaderId))).toBe(true);
    expect(parsed.nodes.map((n) => n.address)).toEqual(endpoints);
  });

  it('endpoint status --group N reports a data group and marks the node without a replica', async () => {
    const map = decodeShardMap(await live().stub(1).callCluster('ShardMap', {}, { deadlineMs: 2_000 }));
    const group = map.groups.find((g) => !g.replicas.includes(3))?.group ?? 0;
    const [table, asJson, meta] = await Promise.all([
      run(['endpoint', 'status', '--group', String(group)]), run(['endpoint', 'status', '--group', String(group), '-o', 'json']), run(['endpoint', 'status']),
    ]);
    expect(table.code).toBe(0);
    const rows = tableRows(table.stdout);
    expect(rows[0]?.at(-1)).toBe('ERROR');
    expect(rows[3]).toEqual([endpoints[2], 'true', 'none', `no replica of group ${group}`]);
    expect(rows.slice(1, 3).map((r) => r[4]).sort()).toEqual(['follower', 'leader']);
    expect(JSON.parse(asJson.stdout)).toMatchObject([{ group, reachable: true, role: expect.any(String) }, { group }, { endpoint: endpoints[2], reachable: true, group, hosted: false }]);
    expect(meta.code).toBe(0);
    expect(tableRows(meta.stdout).slice(1).filter((r) => r[4] === 'leader')).toHaveLength(1);
  });

  it('put, get and scan through a node that lacks some groups reach every group', async () => {
    const only = endpoints.slice(2);
    const keys = Array.from({ length: 8 }, (_, i) => `e2e-shard/${i}`);
    const sdk = createClient({ endpoints });
    try {
      const map = await sdk.shardMap();
      const lacking = new Set(map.groups.filter((g) => !g.replicas.includes(3)).map((g) => g.group));
      const groups = await Promise.all(keys.map((key) => sdk.groupOf(key)));
      expect(groups.some((g) => lacking.has(g)), 'some key is in a group node 3 does not host').toBe(true);
    } finally {
      sdk.close();
    }
    const puts = await Promise.all(keys.map((key) => run(['put', key, `v-${key}`], only)));
    expect(puts.map((p) => p.code)).toEqual(keys.map(() => 0));
    const [get, scan, health] = await Promise.all([run(['get', keys[0] ?? '', '-o', 'json'], only), run(['scan', '--prefix', 'e2e-shard/', '-o', 'json'], only), run(['endpoint', 'health'])]);
    expect(JSON.parse(get.stdout)).toMatchObject({ key: keys[0], value: `v-${keys[0]}` });
    expect((JSON.parse(scan.stdout) as { key: string }[]).map((kv) => kv.key)).toEqual([...keys].sort());
    expect([health.code, tableRows(health.stdout).slice(1).map((r) => r[1])], health.stdout).toEqual([0, ["true", "true", "true"]]);
  });

  it('shard pause, move, split and resume change the map, and the cluster carries them out', async () => {
    const c = live();
    const paused = await run(['shard', 'pause']);
    expect([paused.code, paused.stdout.trim()]).toEqual([0, expect.stringMatching(/^balancer paused \(shard map epoch \d+\)$/)]);
    expect((await run(['shard', 'list'])).stdout.split('\n')[0]).toContain('; balancer paused');
    const map = decodeShardMap(await c.stub(1).callCluster('ShardMap', {}, { deadlineMs: 2_000 }));
    const group = map.groups.find((g) => !g.replicas.includes(3));
    if (group === undefined) throw new Error('every group has a replica on node 3');
    const from = group.replicas[0] ?? 0;
    const moved = await run(['shard', 'move', String(group.group), String(from), '3']);
    expect([moved.code, moved.stdout]).toEqual([0, expect.stringContaining(`group ${group.group} will move from node ${from} to node 3`)]);
    const refused = await run(['shard', 'move', String(group.group), String(from), '3']);
    expect([refused.code, refused.stderr]).toEqual([expect.any(Number), expect.stringContaining(`it has no replica there`)]);
    expect(refused.code).not.toBe(0);
    const split = await run(['shard', 'split', '1', '-o', 'json']);
    expect(split.code).toBe(0);
    const born = GROUPS + 1;
    expect(JSON.parse(split.stdout)).toMatchObject({ result: `group 1 splits; group ${born} takes the upper half of its range` });
    await pollUntil(`node 3 hosts group ${group.group} and group ${born} has a leader`, 30_000, async () => {
      const now = decodeShardMap(await c.stub(3).callCluster('ShardMap', {}, { deadlineMs: 1_000 }));
      const hosted = now.groups.find((g) => g.group === group.group);
      const child = now.groups.find((g) => g.group === born);
      return hosted !== undefined && hosted.leaderId > 0 && child !== undefined && child.leaderId > 0 ? true : undefined;
    }, 200);
    const resumed = await run(['shard', 'resume']);
    expect(resumed.code).toBe(0);
    expect((await run(['shard', 'list'])).stdout.split('\n')[0]).toMatch(new RegExp(`^Shard map epoch \\d+: ${GROUPS + 1} groups on 3 nodes$`));
    const keys = Array.from({ length: 8 }, (_, i) => `e2e-shard/${i}`);
    const scan = await run(['scan', '--prefix', 'e2e-shard/', '-o', 'json']);
    expect((JSON.parse(scan.stdout) as { key: string }[]).map((kv) => kv.key)).toEqual([...keys].sort());
  }, 60_000);
});
