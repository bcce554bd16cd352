// Goal: the SDK's routing and retry loop (src/client/call-runner.ts) without a network. Method: a
// fake endpoint source whose "stubs" are just addresses, a scripted `send` per test, an injected
// random for the backoff jitter and vitest's fake clock, so every wait is exact.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallRunner, type CallSpec, type EndpointSource } from '../../../src/client/call-runner.js';
import { KvClientError, OutcomeUnknownError, UnreachableError } from '../../../src/client/errors.js';
import type { KvStub, Message } from '../../../src/client/kv-stub.js';
import { LeaderCache } from '../../../src/client/leader-cache.js';
import { SessionPool } from '../../../src/client/session-pool.js';

const ENDPOINTS = ['a:1', 'b:1', 'c:1'];

function fakeSource(): EndpointSource {
  let cursor = 0;
  return {
    endpoints: ENDPOINTS,
    stub: (address) => ({ address }) as unknown as KvStub,
    next: () => ENDPOINTS[cursor++ % ENDPOINTS.length] ?? 'a:1',
  };
}

const ok = (nodeId: number, term: number): Message => ({ header: { nodeId: String(nodeId), raftTerm: String(term), revision: '1', groupId: '0' } });
const notLeader = (leaderId: number, leaderAddr: string, term: number): KvClientError =>
  new KvClientError('NOT_LEADER', 'not leader', { fromServer: true, grpcCode: 14, details: { group: 0, term, leaderId, leaderAddr } });
const noLeader = (): KvClientError => new KvClientError('NO_LEADER', 'no leader', { fromServer: true, grpcCode: 14, details: { group: 0 } });
const refused = (): KvClientError => new KvClientError('NO_LEADER', 'No connection established. Last error: connect ECONNREFUSED', { grpcCode: 14, neverSent: true });
const dropped = (): KvClientError => new KvClientError('NO_LEADER', 'Connection dropped', { grpcCode: 14 });
const deadline = (): KvClientError => new KvClientError('TIMEOUT', 'Deadline exceeded', { grpcCode: 4 });

interface Sent {
  readonly address: string;
  readonly request: Message;
}

const wrongShard = (): KvClientError => new KvClientError('WRONG_SHARD', 'no replica here', { fromServer: true, grpcCode: 14, details: { ringEpoch: 1 } });

function setup(script: (sent: Sent, n: number) => Message | Error) {
  const leaders = new LeaderCache();
  const sent: Sent[] = [];
  const refreshes: number[] = [];
  const runner = new CallRunner({
    pool: fakeSource(), leaders, retry: { attemptsMax: 6, backoffMsMin: 10, backoffMsMax: 100 }, random: () => 0,
    onWrongShard: (ms) => {
      refreshes.push(ms);
      return Promise.resolve();
    },
  });
  const spec = (overrides: Partial<CallSpec> = {}): CallSpec => ({
    name: 'put of key "k"', kind: 'write', route: 'leader', group: 0, answeredByLeader: true, request: { key: 'k' }, deadlineMs: 1_000,
    send: (stub, request) => {
      const s = { address: (stub as unknown as { address: string }).address, request };
      sent.push(s);
      const result = script(s, sent.length);
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
    },
    ...overrides,
  });
  return { leaders, sent, runner, spec, refreshes };
}

describe('CallRunner', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('run() sends a write to the cached leader', async () => {
    const { leaders, sent, runner, spec } = setup(() => ok(2, 4));
    leaders.observe(0, { term: 4, leaderId: 2, address: 'b:1' });
    const result = await runner.run(spec());
    expect(result.endpoint).toBe('b:1');
    expect(sent.map((s) => s.address)).toEqual(['b:1']);
  });

  it('run() learns the leader from a leader reply', async () => {
    const { leaders, runner, spec } = setup(() => ok(1, 3));
    await runner.run(spec());
    expect(leaders.entry(0)).toEqual({ term: 3, leaderId: 1, address: 'a:1' });
  });

  it('run() follows a NOT_LEADER hint at once, without waiting', async () => {
    const { leaders, sent, runner, spec } = setup((s) => (s.address === 'c:1' ? ok(3, 5) : notLeader(3, 'c:1', 5)));
    const result = await runner.run(spec());
    expect(sent.map((s) => s.address)).toEqual(['a:1', 'c:1']);
    expect(result.endpoint).toBe('c:1');
    expect(leaders.entry(0)).toEqual({ term: 5, leaderId: 3, address: 'c:1' });
  });

  it('run() ignores a stale hint and backs off instead of following it', async () => {
    const { leaders, sent, runner, spec } = setup((_s, n) => (n === 1 ? notLeader(1, 'a:1', 2) : ok(2, 4)));
    leaders.observe(0, { term: 4, leaderId: 2, address: 'b:1' });
    const done = runner.run(spec());
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(sent.map((s) => s.address)).toEqual(['b:1', 'b:1']);
  });

  it('run() waits the jittered backoff after NO_LEADER, then retries', async () => {
    const { sent, runner, spec } = setup((_s, n) => (n === 1 ? noLeader() : ok(2, 1)));
    const done = runner.run(spec());
    await vi.advanceTimersByTimeAsync(9);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(sent).toHaveLength(2);
  });

  it('run() reports OutcomeUnknownError for a write without a session whose connection dropped', async () => {
    const { sent, runner, spec } = setup(() => dropped());
    await expect(runner.run(spec())).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(sent).toHaveLength(1);
  });

  it('run() retries a dropped write that has a session, with the same session and seq', async () => {
    const pool = new SessionPool({ prefix: 's', sessionsMax: 1, waitersMax: 1 });
    const lease = await pool.acquire(Date.now() + 1_000);
    const { sent, runner, spec } = setup((_s, n) => (n === 1 ? dropped() : ok(1, 1)));
    const done = runner.run(spec({ session: lease }));
    await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(sent.map((s) => [s.request['sessionId'], s.request['seq']])).toEqual([['s.1', '1'], ['s.1', '1']]);
  });

  it('run() reports OutcomeUnknownError when a write with a session runs out of time after a timeout', async () => {
    const pool = new SessionPool({ prefix: 's', sessionsMax: 1, waitersMax: 1 });
    const lease = await pool.acquire(Date.now() + 1_000);
    const { runner, spec } = setup(() => {
      vi.advanceTimersByTime(1_000);
      return deadline();
    });
    await expect(runner.run(spec({ session: lease }))).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it('run() answers TIMEOUT, not OutcomeUnknownError, when no attempt of a write could have applied', async () => {
    const { runner, spec } = setup(() => {
      vi.advanceTimersByTime(600);
      return noLeader();
    });
    const done = runner.run(spec());
    const assertion = expect(done).rejects.toSatisfy((e: unknown) => e instanceof KvClientError && !(e instanceof OutcomeUnknownError) && e.code === 'TIMEOUT');
    await vi.advanceTimersByTimeAsync(200);
    await assertion;
  });

  it('run() renews a refused session and retries when no earlier attempt could have applied', async () => {
    const pool = new SessionPool({ prefix: 's', sessionsMax: 1, waitersMax: 1 });
    const lease = await pool.acquire(Date.now() + 1_000);
    const refusedSession = new KvClientError('INVALID_ARGUMENT', 'session expired', { fromServer: true, grpcCode: 3, details: { field: 'session' } });
    const { sent, runner, spec } = setup((_s, n) => (n === 1 ? refusedSession : ok(1, 1)));
    await runner.run(spec({ session: lease }));
    expect(sent.map((s) => s.request['sessionId'])).toEqual(['s.1', 's.2']);
  });

  it('run() gives up with UnreachableError once every endpoint refused twice', async () => {
    const { sent, runner, spec } = setup(() => refused());
    const done = runner.run(spec({ kind: 'read', route: 'any', answeredByLeader: false }));
    const assertion = expect(done).rejects.toSatisfy((e: unknown) => e instanceof UnreachableError && e.reason === 'connection refused' && e.endpoints.length === 3);
    await vi.advanceTimersByTimeAsync(1_000);
    await assertion;
    expect(sent).toHaveLength(6);
  });

  it('run() sends reads that may go anywhere round-robin', async () => {
    const { sent, runner, spec } = setup(() => ok(1, 1));
    for (let i = 0; i < 4; i++) await runner.run(spec({ kind: 'read', route: 'any', answeredByLeader: false }));
    expect(sent.map((s) => s.address)).toEqual(['a:1', 'b:1', 'c:1', 'a:1']);
  });

  it('run() does not move a call pinned to one endpoint', async () => {
    const { sent, runner, spec } = setup(() => notLeader(2, 'b:1', 3));
    await expect(runner.run(spec({ kind: 'read', route: { endpoint: 'c:1' }, answeredByLeader: false }))).rejects.toMatchObject({ code: 'NOT_LEADER' });
    expect(sent.map((s) => s.address)).toEqual(['c:1']);
  });

  it('run() stops at attemptsMax', async () => {
    const { sent, runner, spec } = setup(() => noLeader());
    const done = runner.run(spec());
    const assertion = expect(done).rejects.toMatchObject({ code: 'NO_LEADER' });
    await vi.advanceTimersByTimeAsync(1_000);
    await assertion;
    expect(sent).toHaveLength(6);
  });

  it('run() rejects a read aborted between attempts with TIMEOUT', async () => {
    const controller = new AbortController();
    const { runner, spec } = setup(() => noLeader());
    const done = runner.run(spec({ kind: 'read', signal: controller.signal }));
    const assertion = expect(done).rejects.toSatisfy((e: unknown) => e instanceof KvClientError && e.code === 'TIMEOUT' && /aborted/.test(e.message));
    await vi.advanceTimersByTimeAsync(1);
    controller.abort();
    await assertion;
  });

  it('run() reports an aborted in-flight write as OutcomeUnknownError', async () => {
    const controller = new AbortController();
    const { runner, spec } = setup(() => {
      controller.abort();
      return new KvClientError('TIMEOUT', 'Cancelled on client', { grpcCode: 1 });
    });
    await expect(runner.run(spec({ signal: controller.signal }))).rejects.toBeInstanceOf(OutcomeUnknownError);
  });

  it('run() reports each failed attempt to onAttemptFailed', async () => {
    const seen: string[] = [];
    const leaders = new LeaderCache();
    const runner = new CallRunner({
      pool: fakeSource(), leaders, retry: { attemptsMax: 3, backoffMsMin: 1, backoffMsMax: 1 }, random: () => 0,
      onAttemptFailed: (f) => seen.push(`${f.endpoint} ${f.action}`),
    });
    let n = 0;
    await runner.run({
      name: 'get', kind: 'read', route: 'leader', group: 0, answeredByLeader: false, request: {}, deadlineMs: 1_000,
      send: () => (++n === 1 ? Promise.reject(notLeader(2, 'b:1', 2)) : Promise.resolve(ok(2, 2))),
    });
    expect(seen).toEqual(['a:1 redirect']);
  });

  it('run() with candidates and no cached leader tries them in order, not the configured endpoints', async () => {
    const { sent, runner, spec } = setup((_s, n) => (n === 1 ? noLeader() : ok(9, 2)));
    const done = runner.run(spec({ group: 5, candidates: () => ['x:1', 'y:1'] }));
    await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(sent.map((s) => s.address)).toEqual(['x:1', 'y:1']);
  });

  it('run() on WRONG_SHARD refreshes the shard map, forgets a leader there, and avoids that node in this call', async () => {
    const { leaders, sent, runner, spec, refreshes } = setup((s) => (s.address === 'x:1' ? wrongShard() : ok(2, 3)));
    leaders.observe(5, { term: 3, leaderId: 1, address: 'x:1' });
    const done = runner.run(spec({ group: 5, candidates: () => ['x:1', 'y:1'] }));
    await vi.advanceTimersByTimeAsync(10);
    await done;
    expect(sent.map((s) => s.address)).toEqual(['x:1', 'y:1']);
    expect(refreshes).toEqual([1_000]);
    expect(leaders.entry(5)).toMatchObject({ term: 3, leaderId: 2, address: 'y:1' });
  });

  it('run() gives up as unreachable once every candidate refused twice, however many endpoints are configured', async () => {
    const { sent, runner, spec } = setup(() => refused());
    const done = runner.run(spec({ group: 5, candidates: () => ['x:1', 'y:1'] }));
    const assertion = expect(done).rejects.toSatisfy((e: unknown) => e instanceof UnreachableError && e.endpoints.join() === 'x:1,y:1');
    await vi.advanceTimersByTimeAsync(1_000);
    await assertion;
    expect(sent.map((s) => s.address)).toEqual(['x:1', 'y:1', 'x:1', 'y:1']);
  });
});
