// Goal: a sharded cluster changes shape while clients use it (issue #6): a 4th node joins and
// the balancer moves about a quarter of the replicas onto it; a node is decommissioned and
// leaves with no data group; two groups split online. Through all of it no acknowledged write is
// lost and no read is stale.
// Method: real `raftkv serve --groups 16` processes (3 founders, one spare started with --join)
// and the SDK. A load runs for the whole suite: writers each own some keys and write increasing
// counters to them; readers read those keys linearizably. A read that starts after a write of n
// was acknowledged and returns less than n is stale (counted, must stay 0). After each change
// every key must read its newest acknowledged value (or a later one whose write timed out).
// Every wait is a bounded poll on what the nodes report.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type KvClient, type ShardMapInfo } from '../../src/client/kv-client.js';
import { decodeShardMap } from '../../src/client/cluster-types.js';
import { Cluster, pollUntil, sleep } from './cluster.js';

const GROUPS = 16;
const KEYS = 64;
const WRITERS = 8;
/** Bounds on each reshaping (generous: CI runs every suite at once on 2 cores). */
const MOVE_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 150_000;
let cluster: Cluster | undefined;
const clients: KvClient[] = [];

function started(): Cluster {
  if (cluster === undefined) throw new Error('The cluster did not start');
  return cluster;
}

function clientOf(c: Cluster): KvClient {
  const client = createClient({ endpoints: c.founders().map((id) => c.address(id)), defaultDeadlineMs: 5_000, retry: { attemptsMax: 50 } });
  clients.push(client);
  return client;
}

async function shardMapOf(c: Cluster, id: number): Promise<ShardMapInfo> {
  return decodeShardMap(await c.stub(id).callCluster('ShardMap', {}, { deadlineMs: 2_000 }));
}

/** Groups a node hosts (data groups and the meta group), from its own counters. */
async function hostedGroups(c: Cluster, id: number): Promise<number> {
  return Number((await c.stub(id).callCluster('NodeStats', {}, { deadlineMs: 2_000 }))['groups']);
}

/** Data-group replicas the shard map places on each node. */
function replicasPerNode(map: ShardMapInfo): Map<number, number> {
  const counts = new Map<number, number>();
  for (const g of map.groups) for (const n of g.replicas) counts.set(n, (counts.get(n) ?? 0) + 1);
  return counts;
}

/** Counters written by a few writers and read back by readers, with the staleness rule above. */
class CounterLoad {
  readonly acked = new Map<string, number>();
  readonly timedOut = new Map<string, number>();
  stale: string[] = [];
  reads = 0;
  writes = 0;
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly client: KvClient) {
    for (let w = 0; w < WRITERS; w++) this.loops.push(this.writer(w), this.reader(w));
  }

  private async writer(w: number): Promise<void> {
    for (let n = 1; this.running; n++) {
      const key = `ctr/${w}/${n % (KEYS / WRITERS)}`;
      try {
        await this.client.put(key, String(n));
        this.acked.set(key, n);
        this.writes++;
      } catch {
        this.timedOut.set(key, n); // Outcome unknown: a later read may see it.
        await sleep(50);
      }
    }
  }

  private async reader(r: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const key = `ctr/${r}/${i % (KEYS / WRITERS)}`;
      const floor = this.acked.get(key) ?? 0;
      try {
        const value = await this.client.get(key);
        const seen = value === null ? 0 : Number(value.text());
        if (seen < floor) this.stale.push(`${key}: read ${seen} after ${floor} was acknowledged`);
        this.reads++;
      } catch {
        await sleep(50);
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * No acknowledged write is lost: while the load runs, every key reads at least its newest
   * acknowledged counter; once stopped, exactly it (or the one a timed-out write may have set).
   */
  async checkAll(): Promise<void> {
    for (const [key, n] of [...this.acked]) {
      const seen = Number((await this.client.get(key))?.text() ?? '0');
      if (this.running) expect(seen, `${key} after acknowledged ${n}`).toBeGreaterThanOrEqual(n);
      else if (seen !== n) expect(seen, `${key} after acknowledged ${n}`).toBe(this.timedOut.get(key) ?? n);
    }
  }
}

let load: CounterLoad | undefined;

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3, spares: 1, flags: ['--groups', String(GROUPS)] });
  await pollUntil('a leader in every group', 30_000, async () => {
    const map = await shardMapOf(started(), 1);
    return map.groups.every((g) => g.leaderId > 0) ? map : undefined;
  }, 200);
  load = new CounterLoad(clientOf(started()));
});
afterEach((context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
});
afterAll(async () => {
  await load?.stop();
  for (const client of clients) client.close();
  await cluster?.stopAll();
});

describe('a sharded cluster changing shape under load', () => {
  it('moves about a quarter of the replicas onto a 4th node that joins', async () => {
    const c = started();
    await sleep(1_000);
    await c.join(4);
    const map = await pollUntil('node 4 holds 12 of the 48 replicas and hosts them', MOVE_TIMEOUT_MS, async () => {
      const m = await shardMapOf(c, 1);
      const counts = replicasPerNode(m);
      if (![1, 2, 3, 4].every((n) => (counts.get(n) ?? 0) === 12)) return undefined;
      const hosted = await Promise.all([1, 2, 3, 4].map((n) => hostedGroups(c, n)));
      return hosted.every((h) => h === 12 + 1) ? m : undefined; // + the meta group
    }, 500);
    expect(map.groups.every((g) => new Set(g.replicas).size === 3)).toBe(true);
    expect(load?.stale).toEqual([]);
    await load?.checkAll();
  }, TEST_TIMEOUT_MS);

  it('decommissions node 2: its replicas move away and it leaves with no data group', async () => {
    const c = started();
    await clients[0]?.nodeDecommission(2);
    await pollUntil('node 2 hosts only the meta group and the map places nothing on it', MOVE_TIMEOUT_MS, async () => {
      const m = await shardMapOf(c, 1);
      const onTwo = replicasPerNode(m).get(2) ?? 0;
      return onTwo === 0 && (await hostedGroups(c, 2)) === 1 ? true : undefined;
    }, 500);
    const m = await shardMapOf(c, 1);
    expect(m.nodeStates?.find((n) => n.nodeId === 2)?.state).toBe('decommissioning');
    expect([1, 3, 4].map((n) => replicasPerNode(m).get(n))).toEqual([16, 16, 16]);
    expect(load?.stale).toEqual([]);
    await load?.checkAll();
  }, TEST_TIMEOUT_MS);

  it('splits two groups under load and keeps every key readable and ranges exact', async () => {
    const c = started();
    const client = clients[0];
    if (client === undefined) throw new Error('no client');
    const before = await shardMapOf(c, 1);
    const first = await client.split(1);
    const second = await client.split(9);
    expect([first.newGroupId, second.newGroupId]).toEqual([GROUPS + 1, GROUPS + 2]);
    await pollUntil('both new groups have a leader', 30_000, async () => {
      const m = await shardMapOf(c, 1);
      const born = m.groups.filter((g) => g.group > GROUPS);
      return born.length === 2 && born.every((g) => g.leaderId > 0) ? m : undefined;
    }, 200);
    await sleep(2_000); // The load runs on across the splits.
    await load?.stop();
    expect(load?.stale).toEqual([]);
    await load?.checkAll();
    const ranged = await client.range({ prefix: 'ctr/' }).toArray();
    expect(ranged.map((kv) => kv.keyText()).sort()).toEqual([...(load?.acked.keys() ?? [])].concat([...(load?.timedOut.keys() ?? [])].filter((k) => !load?.acked.has(k))).sort());
    const after = await shardMapOf(c, 1);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(after.ranges).toHaveLength(GROUPS + 2);
    expect(load?.writes).toBeGreaterThan(0);
    expect(load?.reads).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);
});
