// Goal: the SDK's group routing (src/client/data-calls.ts) without a network: each call goes to
// the leader of its key's group, or to that group's replicas when no leader is known; a batch is
// split per group and each part goes to its own group's leader; a range asks every group and
// merges; a txn across groups is refused before anything is sent; sessions are per group.
// Method: a fake cluster of 3 nodes and 6 groups with 2 replicas each (placed by src/shard, as
// the server places them) whose stubs answer like the server: WRONG_SHARD where a group has no
// replica, NOT_LEADER with a hint on a follower.
import { beforeAll, describe, expect, it } from 'vitest';
import { CallRunner, type EndpointSource } from '../../../src/client/call-runner.js';
import { DataCalls, seedLeaders, type DataCall } from '../../../src/client/data-calls.js';
import { KvClientError } from '../../../src/client/errors.js';
import { singleGroupOf } from '../../../src/client/group-split.js';
import type { KvStub, Message } from '../../../src/client/kv-stub.js';
import { LeaderCache } from '../../../src/client/leader-cache.js';
import { RoutingTable } from '../../../src/client/routing-table.js';
import { GroupSessionPools } from '../../../src/client/session-pool.js';
import { ShardMapCache } from '../../../src/client/shard-map-cache.js';
import { loadKeyHasher } from '../../../src/shard/hasher.js';
import { decodePageToken } from '../../../src/shard/page-token.js';
import { addressOf, bytes, shardMapInfo } from './shard-fixtures.js';

const INFO = shardMapInfo(3, 6, 2);
let table: RoutingTable;
beforeAll(async () => {
  table = RoutingTable.of(INFO, await loadKeyHasher());
});

interface Sent {
  readonly address: string;
  readonly method: string;
  readonly request: Message;
}

const text = (b: unknown): string => new TextDecoder().decode(b as Uint8Array);
const header = (group: number, node: number): Message => ({ header: { groupId: String(group), nodeId: String(node), raftTerm: '3', revision: '1' } });

/** A server: node n hosts its groups, leads those where it is the first replica. */
function fakeCall(node: number, sent: Sent[], store: Map<string, string>, failGroup?: number) {
  return (method: string, request: Message): Promise<Message> => {
    sent.push({ address: addressOf(node), method, request });
    const keys = method === 'BatchPut' ? (request['items'] as { key: Uint8Array }[]).map((i) => i.key) : method === 'Range' ? [] : [request['key'] as Uint8Array];
    const group = method === 'Range' ? Number(request['groupId']) : table.groupOf(keys[0] ?? new Uint8Array(0));
    const replicas = INFO.groups.find((g) => g.group === group)?.replicas ?? [];
    if (!replicas.includes(node)) return Promise.reject(new KvClientError('WRONG_SHARD', 'not here', { fromServer: true, grpcCode: 14, details: { ringEpoch: 1 } }));
    const leader = replicas[0] ?? 0;
    if (method !== 'Range' && node !== leader) {
      return Promise.reject(new KvClientError('NOT_LEADER', 'not leader', { fromServer: true, grpcCode: 14, details: { group, term: 3, leaderId: leader, leaderAddr: addressOf(leader) } }));
    }
    if (group === failGroup) return Promise.reject(new KvClientError('INVALID_ARGUMENT', 'refused', { fromServer: true, grpcCode: 3 }));
    if (method === 'BatchPut') for (const item of request['items'] as { key: Uint8Array; value: Uint8Array }[]) store.set(text(item.key), text(item.value));
    if (method === 'Put') store.set(text(request['key']), text(request['value']));
    if (method !== 'Range') return Promise.resolve(header(group, node));
    const token = request['pageToken'] as Uint8Array | undefined;
    const range = { start: request['start'] as Uint8Array, end: new Uint8Array(0), prefix: true };
    const decoded = token === undefined || token.byteLength === 0 ? { ok: true as const, after: new Uint8Array(0) } : decodePageToken(token, range, 4096);
    if (!decoded.ok) return Promise.reject(new KvClientError('INVALID_ARGUMENT', `page token ${decoded.problem}`, { fromServer: true, grpcCode: 3 }));
    const after = text(decoded.after);
    const all = [...store.keys()].filter((k) => table.groupOf(bytes(k)) === group).sort();
    const mine = all.filter((k) => k > after);
    const page = mine.slice(0, Number(request['limit']));
    const kvs = page.map((k) => ({ key: bytes(k), value: bytes(store.get(k) ?? ''), version: '1', createRevision: '1', modRevision: '1' }));
    return Promise.resolve({ ...header(group, node), kvs, more: mine.length > page.length, count: String(all.length) });
  };
}

function setup(options: { seeded?: boolean; failGroup?: number } = {}) {
  const sent: Sent[] = [];
  const store = new Map<string, string>();
  const endpoints = [addressOf(1)];
  const pool: EndpointSource = {
    endpoints,
    stub: (address) => ({ address, call: fakeCall(Number(address.slice(1, 2)), sent, store, options.failGroup) }) as unknown as KvStub,
    next: () => addressOf(1),
  };
  const leaders = new LeaderCache();
  const info = { ...INFO, groups: INFO.groups.map((g) => ({ ...g, leaderId: g.replicas[0] ?? 0, term: 3 })) };
  const shards = new ShardMapCache({ fetch: () => Promise.resolve(info), loadHasher: loadKeyHasher, now: () => performance.now(), ...(options.seeded === false ? {} : { onFetched: (i) => seedLeaders(leaders, i) }) });
  const runner = new CallRunner({ pool, leaders, retry: { attemptsMax: 6, backoffMsMin: 0, backoffMsMax: 0 }, random: () => 0, onWrongShard: (ms) => shards.refresh(ms) });
  const sessions = new GroupSessionPools({ prefix: 'p', sessionsMax: 4, waitersMax: 10 });
  const calls = new DataCalls({ runner, deadlineMs: () => 1_000 }, shards, sessions);
  return { calls, sent, store, sessions };
}

/** A key of each group 1..6. */
function keysByGroup(): Map<number, string> {
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < 6; i++) if (!keys.has(table.groupOf(bytes(`k${i}`)))) keys.set(table.groupOf(bytes(`k${i}`)), `k${i}`);
  return keys;
}

const put = (key: string): DataCall => ({ method: 'Put', name: `put of ${key}`, request: { key: bytes(key), value: bytes('v') }, group: (t) => t.groupOf(bytes(key)) });

describe('DataCalls', () => {
  it('write() sends each key to the leader of its group named by the shard map', async () => {
    const { calls, sent } = setup();
    for (const [group, key] of keysByGroup()) {
      await calls.write(put(key), {});
      expect(sent.at(-1)?.address).toBe(addressOf(INFO.groups.find((g) => g.group === group)?.replicas[0] ?? 0));
    }
    expect(sent.map((s) => s.method)).toEqual(Array(6).fill('Put'));
  });

  it('write() with no leader known tries the group\'s replicas in order, never a node without one', async () => {
    const { calls, sent } = setup({ seeded: false });
    const key = keysByGroup().get(2) ?? '';
    await calls.write(put(key), {});
    await calls.write(put(key), {});
    // Group 2 lives on nodes 2 and 3; node 1 (the only configured endpoint) is never asked.
    expect(sent.map((s) => s.address)).toEqual([addressOf(2), addressOf(2)]);
  });

  it('batch() splits by group and sends each part, with only its items, to its group\'s leader', async () => {
    const { calls, sent, store } = setup();
    const keys = [...keysByGroup().values(), 'x1', 'x2', 'x3'];
    const parts = await calls.batch(keys.map((key) => ({ key, value: `v-${key}` })), {});
    const expected = new Map<number, string[]>();
    for (const key of keys) expected.set(table.groupOf(bytes(key)), [...(expected.get(table.groupOf(bytes(key))) ?? []), key]);
    expect(parts.map((p) => p.group)).toEqual([...expected.keys()].sort((a, b) => a - b));
    for (const s of sent) {
      const items = (s.request['items'] as { key: Uint8Array }[]).map((i) => text(i.key));
      const group = table.groupOf(bytes(items[0] ?? ''));
      expect(items).toEqual(expected.get(group));
      expect(s.address).toBe(addressOf(INFO.groups.find((g) => g.group === group)?.replicas[0] ?? 0));
    }
    expect(sent).toHaveLength(expected.size);
    expect(store.size).toBe(keys.length);
  });

  it('batch() rejects with the failed part\'s error after the other parts applied (not atomic)', async () => {
    const { calls, store } = setup({ failGroup: 3 });
    const keys = [...keysByGroup().values()];
    await expect(calls.batch(keys.map((key) => ({ key, value: 'v' })), {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'refused' });
    expect([...store.keys()].sort()).toEqual(keys.filter((k) => table.groupOf(bytes(k)) !== 3).sort());
  });

  it('a txn across groups is refused before anything is sent', async () => {
    const { calls, sent } = setup();
    const keys = [...keysByGroup().values()].slice(0, 2).map(bytes);
    const txn: DataCall = { method: 'Txn', name: 'transaction', request: {}, group: (t) => singleGroupOf(keys, (k) => t.groupOf(k), 'the transaction') };
    await expect(calls.write(txn, {})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^Cannot run the transaction across groups/) });
    expect(sent).toEqual([]);
  });

  it('rangePage() reads every group with single_group and merges the pages in key order', async () => {
    const { calls, sent } = setup();
    const keys = Array.from({ length: 40 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    await calls.batch(keys.map((key) => ({ key, value: 'v' })), {});
    sent.length = 0;
    const seen: string[] = [];
    let pageToken: Uint8Array = new Uint8Array(0);
    for (let page = 0; page < 20; page++) {
      const got = await calls.rangePage({ start: bytes('r'), prefix: true, limit: '7', pageToken }, { consistency: 'serializable' });
      expect(got.count).toBe(keys.length);
      seen.push(...got.kvs.map((kv) => kv.keyText()));
      if (!got.more) break;
      pageToken = got.nextPageToken;
    }
    expect(seen).toEqual(keys);
    const firstPage = sent.slice(0, 6).map((s) => [s.request['singleGroup'], s.request['groupId'], s.address]);
    expect(firstPage.sort()).toEqual(INFO.groups.map((g) => [true, String(g.group), addressOf(g.replicas[0] ?? 0)]).sort());
  });

  it('writes in different groups use sessions of their own group, each starting at seq 1', async () => {
    const { calls, sent, sessions } = setup();
    const byGroup = keysByGroup();
    await calls.write(put(byGroup.get(1) ?? ''), {});
    await calls.write(put(byGroup.get(2) ?? ''), {});
    await calls.write(put(byGroup.get(1) ?? ''), {});
    expect(sent.map((s) => [s.request['sessionId'], s.request['seq']])).toEqual([['p-g1.1', '1'], ['p-g2.1', '1'], ['p-g1.1', '2']]);
    expect(sessions.sessionsCreated).toBe(2);
  });
});
