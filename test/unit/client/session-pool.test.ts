// Goal: the exactly-once session bookkeeping (src/client/session-pool.ts): one write per session at a
// time, seq moves on after a confirmed write, an unconfirmed session that failed is replaced, and
// writers beyond sessionsMax wait (bounded by waitersMax and their deadline).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionPool } from '../../../src/client/session-pool.js';

const far = (): number => Date.now() + 60_000;

describe('SessionPool', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('acquire() starts a new session at seq 1', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 2, waitersMax: 1 });
    expect((await pool.acquire(far())).fields()).toEqual({ sessionId: 'p.1', seq: '1' });
  });

  it('release("confirmed") makes the next write on that session use seq + 1', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    (await pool.acquire(far())).release('confirmed');
    expect((await pool.acquire(far())).fields()).toEqual({ sessionId: 'p.1', seq: '2' });
  });

  it('release("failed") on a confirmed session moves on to seq + 1', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    (await pool.acquire(far())).release('confirmed');
    (await pool.acquire(far())).release('failed');
    expect((await pool.acquire(far())).fields()).toEqual({ sessionId: 'p.1', seq: '3' });
  });

  it('release("failed") on a never-confirmed session replaces it with a fresh one', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    (await pool.acquire(far())).release('failed');
    expect((await pool.acquire(far())).fields()).toEqual({ sessionId: 'p.2', seq: '1' });
  });

  it('renew() swaps in a fresh session for the rest of the write', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    const lease = await pool.acquire(far());
    lease.renew();
    expect(lease.fields()).toEqual({ sessionId: 'p.2', seq: '1' });
    lease.release('confirmed');
    expect((await pool.acquire(far())).fields()).toEqual({ sessionId: 'p.2', seq: '2' });
  });

  it('release() twice has no further effect', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    const lease = await pool.acquire(far());
    lease.release('confirmed');
    lease.release('confirmed');
    expect((await pool.acquire(far())).fields().seq).toBe('2');
  });

  it('acquire() lends concurrent writers different sessions up to sessionsMax', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 3, waitersMax: 1 });
    const leases = await Promise.all([pool.acquire(far()), pool.acquire(far()), pool.acquire(far())]);
    expect(new Set(leases.map((l) => l.fields().sessionId)).size).toBe(3);
  });

  it('acquire() beyond sessionsMax waits until a session comes back', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 2 });
    const first = await pool.acquire(far());
    let second: string | undefined;
    const waiting = pool.acquire(far()).then((lease) => {
      second = lease.fields().seq;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    first.release('confirmed');
    await waiting;
    expect(second).toBe('2');
  });

  it('acquire() fails with OVERLOADED when waitersMax writers already wait', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    await pool.acquire(far());
    void pool.acquire(far()).catch(() => undefined);
    await expect(pool.acquire(far())).rejects.toMatchObject({ code: 'OVERLOADED' });
  });

  it('acquire() fails with TIMEOUT when the deadline passes while waiting', async () => {
    vi.useFakeTimers();
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    await pool.acquire(far());
    const waiting = pool.acquire(Date.now() + 100);
    const assertion = expect(waiting).rejects.toMatchObject({ code: 'TIMEOUT' });
    await vi.advanceTimersByTimeAsync(100);
    await assertion;
  });

  it('acquire() fails when its signal aborts while waiting, and the waiter leaves the queue', async () => {
    const pool = new SessionPool({ prefix: 'p', sessionsMax: 1, waitersMax: 1 });
    const held = await pool.acquire(far());
    const controller = new AbortController();
    const waiting = pool.acquire(far(), controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'TIMEOUT' });
    held.release('confirmed');
    expect((await pool.acquire(far())).fields().seq).toBe('2');
  });
});
