// Goal: the sharded cluster end to end with real `raftkv serve --groups 16` processes, through the
// SDK's shard-map routing (issue #6): leaders spread by the balancer, writes and linearizable reads
// over 500 random keys, single-group transactions by hash tag, ranges merged over every group
// (client fan-out and server merge), WRONG_SHARD on a node without a replica (--replicas 2) while
// the SDK still succeeds there, and fail-over of quiesced groups after kill -9 of a leader node.
// Method: two 3-node clusters started together (3 replicas, and 2 replicas); the balancer check
// runs after the data tests so it does not wait alone for the balancer (one move per 2 s per
// node); every wait is a bounded poll; the kill test runs last. Key randomness comes from a
// seed printed on failure.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, KvError, op, type KvClient, type ShardMapInfo } from '../../src/client/kv-client.js';
import { decodeShardMap } from '../../src/client/cluster-types.js';
import { SeededRng } from '../../src/shared/rng.js';
import { Cluster, PollAborted, pollUntil, sleep } from './cluster.js';
import { bytes, errorOf, field, forEachLimit, num, text } from './kv-helpers.js';

const GROUPS = 16;
/** ceil(16 / 3) + 1: the most data groups one node may lead once the balancer settled. */
const LED_MAX = 7;
const seed = Date.now();
const clusters: { full?: Cluster; partial?: Cluster } = {};
const clients: KvClient[] = [];

function started(which: 'full' | 'partial'): Cluster {
  const c = clusters[which];
  if (c === undefined) throw new Error(`The ${which} cluster did not start`);
  return c;
}

function clientOf(c: Cluster, ids = c.liveIds()): KvClient {
  // More attempts than the default 10: the balancer moves leaders while the tests run, and a
  // loaded machine (CI, other suites) stretches elections.
  const client = createClient({ endpoints: ids.map((id) => c.address(id)), defaultDeadlineMs: 10_000, retry: { attemptsMax: 30 } });
  clients.push(client);
  return client;
}

/** One node's shard map (the raw RPC), decoded. */
async function shardMapOf(c: Cluster, id: number): Promise<ShardMapInfo> {
  return decodeShardMap(await c.stub(id).callCluster('ShardMap', {}, { deadlineMs: 2_000 }));
}

/** Data groups led per node, from every live node's map (each knows the leaders of its groups). */
async function leadersByGroup(c: Cluster): Promise<Map<number, number>> {
  const maps = await Promise.all(c.liveIds().map((id) => shardMapOf(c, id)));
  const best = new Map<number, { leaderId: number; term: number }>();
  for (const g of maps.flatMap((m) => m.groups)) {
    const seen = best.get(g.group);
    if (g.leaderId > 0 && (seen === undefined || g.term > seen.term)) best.set(g.group, g);
  }
  return new Map([...best].map(([group, g]) => [group, g.leaderId]));
}

/**
 * Waits until every data group has a leader and no node leads more than LED_MAX of them (the
 * balancer moves one group per node every 2 s, so this can take about 20 s after start).
 */
function balanced(c: Cluster): Promise<Map<number, number>> {
  return pollUntil(`every group led, at most ${LED_MAX} per node`, 40_000, async () => {
    const leaders = await leadersByGroup(c);
    const counts = new Map<number, number>();
    for (const leader of leaders.values()) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    return leaders.size === GROUPS && [...counts.values()].every((n) => n <= LED_MAX) ? counts : undefined;
  }, 500);
}

/**
 * For a raw call retried by pollUntil: a read that met a leadership change (the balancer moves
 * leaders while these tests run) answers undefined, to be tried again; other errors fail the poll.
 */
function unlessMoving(error: unknown): undefined {
  if (error instanceof KvError && ['NOT_LEADER', 'NO_LEADER', 'TIMEOUT'].includes(error.code)) return undefined;
  throw new PollAborted(error instanceof Error ? error.message : String(error));
}

/** A key of each data group, found by asking the SDK for the group of candidate keys. */
async function keyPerGroup(client: KvClient, prefix: string): Promise<Map<number, string>> {
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < GROUPS && i < 10_000; i++) {
    const key = `${prefix}${i}`;
    const group = await client.groupOf(key);
    if (!keys.has(group)) keys.set(group, key);
  }
  return keys;
}

function sortedBytes(keys: Iterable<string>): string[] {
  return [...keys].sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
}

beforeAll(async () => {
  const flags = ['--groups', String(GROUPS)];
  const [full, partial] = await Promise.allSettled([Cluster.start({ size: 3, flags }), Cluster.start({ size: 3, flags: [...flags, '--replicas', '2'] })]);
  if (full.status === 'fulfilled') clusters.full = full.value;
  if (partial.status === 'fulfilled') clusters.partial = partial.value;
  for (const outcome of [full, partial]) if (outcome.status === 'rejected') throw outcome.reason;
  // Every group elects its first leader before the data tests (bounded: a loaded machine is slow).
  await Promise.all([started('full'), started('partial')].map((c) => pollUntil('a leader in every group', 30_000, async () => {
    const leaders = await leadersByGroup(c);
    return leaders.size === GROUPS ? leaders : undefined;
  }, 100)));
});
afterEach((context) => {
  if (context.task.result?.state !== 'fail') return;
  console.error(`sharded.test.ts seed ${seed}`);
  clusters.full?.markFailed();
  clusters.partial?.markFailed();
});
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([clusters.full?.stopAll(), clusters.partial?.stopAll()]);
});

describe('sharded cluster, 3 nodes, 16 groups', () => {
  const written = new Map<string, string>();

  it('writes 500 random keys through the SDK without errors and reads each back linearizably', async () => {
    const kv = clientOf(started('full'));
    const rng = new SeededRng(seed);
    while (written.size < 500) written.set(`rnd/${rng.nextInt(2 ** 30).toString(36)}-${rng.nextInt(1000)}`, `v${rng.nextInt(2 ** 30)}`);
    await forEachLimit([...written], 32, async ([key, value]) => {
      await kv.put(key, value);
    });
    const groups = new Set<number>();
    await forEachLimit([...written], 32, async ([key, value]) => {
      expect((await kv.get(key))?.text(), key).toBe(value);
      groups.add(await kv.groupOf(key));
    });
    expect(groups.size).toBe(GROUPS);
  });

  it('runs a txn on two keys with a common hash tag, and refuses one across groups naming both', async () => {
    const kv = clientOf(started('full'));
    const tagged = await kv.txn().then(op.put('acct:{7}:a', '1'), op.put('acct:{7}:b', '2')).commit();
    expect(tagged.succeeded).toBe(true);
    expect([(await kv.get('acct:{7}:a'))?.text(), (await kv.get('acct:{7}:b'))?.text()]).toEqual(['1', '2']);
    await kv.cas('acct:{7}:a', '1', '3');
    let other = 0;
    while ((await kv.groupOf(`acct:${other}:b`)) === (await kv.groupOf('acct:x:a'))) other++;
    const [ga, gb] = [await kv.groupOf('acct:x:a'), await kv.groupOf(`acct:${other}:b`)];
    const refused = await errorOf(kv.txn().then(op.put('acct:x:a', '1'), op.put(`acct:${other}:b`, '1')).commit());
    expect(refused.code).toBe('INVALID_ARGUMENT');
    expect(refused.message).toContain(`group ${ga} (e.g. key "acct:x:a")`);
    expect(refused.message).toContain(`group ${gb} (e.g. key "acct:${other}:b")`);
    expect(refused.message).toContain('{hash tag}');
    expect(await kv.get('acct:x:a')).toBeNull();
  });

  it('ranges over every group, through the SDK and merged by the server, return exactly the sorted keys with small pages', async () => {
    const c = started('full');
    const kv = clientOf(c);
    const expected = sortedBytes(written.keys());
    const viaSdk: string[] = [];
    for await (const page of kv.range({ prefix: 'rnd/' }, { pageSize: 23 }).pages()) {
      expect(page.count).toBe(written.size);
      for (const item of page.kvs) viaSdk.push(item.keyText());
    }
    expect(viaSdk).toEqual(expected);
    const serializable = await kv.range({ prefix: 'rnd/' }, { pageSize: 61, consistency: 'serializable', limit: 200 }).toArray();
    expect(serializable.map((item) => item.keyText())).toEqual(expected.slice(0, 200));
    const viaServer: string[] = [];
    let pageToken = Buffer.alloc(0);
    for (let page = 0; page < 100; page++) {
      const request = { start: bytes('rnd/'), prefix: true, limit: '17', pageToken };
      const response = await pollUntil(`merged page ${page}`, 10_000, () => c.stub(2).call('Range', request, { deadlineMs: 5_000 }).catch(unlessMoving), 50);
      const kvs = field(response, 'kvs');
      for (const item of Array.isArray(kvs) ? kvs : []) viaServer.push(text(field(item, 'key')));
      if (field(response, 'more') !== true) break;
      pageToken = Buffer.from(field(response, 'nextPageToken') as Uint8Array);
    }
    expect(viaServer).toEqual(expected);
  });

  it('spreads leadership so no node leads more than 7 data groups once the balancer settles', async () => {
    const c = started('full');
    const perNode = await balanced(c);
    expect([...perNode.values()].reduce((a, b) => a + b, 0)).toBe(GROUPS);
    const stats = await Promise.all(c.ids().map((id) => c.stub(id).callCluster('NodeStats', {}, { deadlineMs: 2_000 })));
    // Each node hosts every data group (3 replicas on 3 nodes) and the meta group.
    expect(stats.map((s) => num(s, 'groups'))).toEqual([GROUPS + 1, GROUPS + 1, GROUPS + 1]);
    expect(stats.every((s) => num(s, 'groupsLed') <= LED_MAX + 1)).toBe(true);
  });

  it('elects a new leader in every quiesced group of a kill -9ed node and serves writes again', async () => {
    const c = started('full');
    const kv = clientOf(c);
    const keys = await keyPerGroup(kv, 'failover/');
    await balanced(c); // No leadership moves in flight: they wake groups.
    await waitQuiet(c);
    const leaders = await leadersByGroup(c);
    const victim = [...leaders.values()][0] ?? 1;
    const orphaned = [...leaders].filter(([, leader]) => leader === victim).map(([group]) => group);
    expect(orphaned.length).toBeGreaterThan(0);
    const killedAt = performance.now();
    await c.kill(victim, 'SIGKILL');
    // No client traffic until every group has a live leader: only the transport's lost-contact
    // wake-up (src/runtime/node-host.ts) can end the quiet of the orphaned groups.
    const after = await pollUntil(`a new leader in groups ${orphaned.join(',')} after node ${victim} died`, 15_000, async () => {
      const now = await leadersByGroup(c);
      return now.size === GROUPS && [...now.values()].every((leader) => leader !== victim) ? now : undefined;
    }, 100);
    const electedMs = performance.now() - killedAt;
    await forEachLimit([...keys], 16, async ([group, key]) => {
      expect((await kv.put(key, 'after', { deadlineMs: 10_000 })).header.groupId).toBe(group);
    });
    const servedMs = performance.now() - killedAt;
    console.info(`node ${victim} killed: groups ${orphaned.join(',')} re-elected in ${Math.round(electedMs)} ms, all ${GROUPS} groups written in ${Math.round(servedMs)} ms`);
    expect(after.size).toBe(GROUPS);
    expect(servedMs).toBeLessThan(20_000);
  });
});

/**
 * Waits until the data groups are quiet: each node sends its peers fewer Raft messages per second
 * than 16 groups would heartbeat (about 236/s unquiesced; the meta group alone is about 20/s).
 */
async function waitQuiet(c: Cluster): Promise<void> {
  const sent = async (): Promise<number[]> => (await Promise.all(c.liveIds().map((id) => c.stub(id).callCluster('NodeStats', {}, { deadlineMs: 2_000 }))))
    .flatMap((s) => (Array.isArray(field(s, 'peers')) ? (field(s, 'peers') as unknown[]) : []).map((p) => num(p, 'messagesSent')));
  await pollUntil('the data groups to quiesce', 15_000, async () => {
    const before = await sent();
    await sleep(1_000);
    const rates = (await sent()).map((n, i) => n - (before[i] ?? 0));
    return rates.every((rate) => rate < 80) ? rates : undefined;
  }, 0);
}

describe('sharded cluster, 3 nodes, 16 groups, 2 replicas each', () => {
  it('answers WRONG_SHARD with kv-ring-epoch on a node without the group, while the SDK still succeeds there', async () => {
    const c = started('partial');
    const map = await pollUntil('a shard map', 10_000, () => shardMapOf(c, 1));
    const placement = map.groups.find((g) => !g.replicas.includes(3));
    if (placement === undefined) throw new Error('Every group has a replica on node 3');
    const kv = clientOf(c, [3]);
    const keys = await keyPerGroup(kv, 'partial/');
    const key = keys.get(placement.group) ?? '';
    const direct = await errorOf(c.stub(3).call('Put', { key: bytes(key), value: bytes('x') }, { deadlineMs: 2_000 }));
    expect([direct.code, direct.details.ringEpoch]).toEqual(['WRONG_SHARD', map.epoch]);
    expect(map.epoch).toBeGreaterThan(0);
    const merged = await errorOf(c.stub(3).call('Range', { start: bytes('partial/'), prefix: true }, { deadlineMs: 2_000 }));
    expect(merged.code).toBe('WRONG_SHARD');
    await forEachLimit([...keys.values()], 16, async (k) => {
      await kv.put(k, `v-${k}`);
    });
    expect((await kv.get(key))?.text()).toBe(`v-${key}`);
    const batch = await kv.batch([...keys.values()].map((k) => ({ key: k, value: `b-${k}` })));
    expect(batch.headers.map((h) => h.groupId)).toEqual([...keys.keys()].sort((a, b) => a - b));
    const all = await kv.range({ prefix: 'partial/' }, { pageSize: 5 }).toArray();
    expect(all.map((item) => item.keyText())).toEqual(sortedBytes(keys.values()));
    expect(all.every((item) => item.text() === `b-${item.keyText()}`)).toBe(true);
  });
});
