/**
 * Exactly-once sessions for writes (Raft thesis §6.3). The server keeps, per session id, the last
 * applied seq and its result; a retry with the same seq gets that result instead of applying
 * twice. It also requires a new session to start at seq 1 and refuses a seq below the last one, so
 * a session carries one write at a time: this pool lends a session to each concurrent writer and
 * creates up to `sessionsMax` of them; further writers wait (bounded by `waitersMax` and their
 * deadline).
 *
 * Seq bookkeeping, per session: a write that got any answer from the state machine confirms the
 * session; the next write uses seq + 1 (the server allows gaps). A write that failed on a
 * confirmed session also moves on to seq + 1, since its seq may have applied. A failed write on a
 * session that was never confirmed may or may not have created it, so that session is dropped
 * and the next write starts a fresh one at seq 1.
 */
import { KvClientError } from './errors.js';

export interface SessionPoolOptions {
  /** Prefix of every session id this pool makes; ids are `${prefix}.${n}` (at most 128 bytes). */
  readonly prefix: string;
  readonly sessionsMax: number;
  readonly waitersMax: number;
}

interface Session {
  readonly id: string;
  nextSeq: number;
  confirmed: boolean;
}

/** The (session id, seq) a write carries, as request fields. */
export interface SessionFields {
  readonly sessionId: string;
  readonly seq: string;
}

/**
 * One session lent to one write. The seq stays fixed across retries of that write.
 *
 * @example
 * ```ts
 * const lease = await pool.acquire(deadlineAt, signal);
 * try { send({ ...request, ...lease.fields() }); lease.release('confirmed'); } catch { lease.release('failed'); }
 * ```
 */
export class SessionLease {
  private released = false;

  constructor(private session: Session, private readonly pool: SessionPool) {}

  fields(): SessionFields {
    return { sessionId: this.session.id, seq: String(this.session.nextSeq) };
  }

  /** Swaps in a fresh session (seq 1): the server forgot or refused the current one. */
  renew(): void {
    this.session = this.pool.fresh();
  }

  release(outcome: 'confirmed' | 'failed'): void {
    if (this.released) return;
    this.released = true;
    const s = this.session;
    if (outcome === 'confirmed') s.confirmed = true;
    this.pool.giveBack(outcome === 'failed' && !s.confirmed ? this.pool.fresh() : { ...s, nextSeq: s.nextSeq + 1 });
  }
}

interface Waiter {
  readonly grant: (session: Session) => void;
}

/**
 * Sessions lent out one write at a time.
 *
 * @example
 * ```ts
 * const pool = new SessionPool({ prefix: 'a1b2c3', sessionsMax: 16, waitersMax: 10_000 });
 * const lease = await pool.acquire(Date.now() + 5_000);
 * ```
 */
export class SessionPool {
  private readonly idle: Session[] = [];
  private readonly waiters: Waiter[] = [];
  private created = 0;
  private live = 0;

  constructor(private readonly options: SessionPoolOptions) {}

  /** A session for one write; waits for one to come back when all are lent out. */
  acquire(deadlineAt: number, signal?: AbortSignal): Promise<SessionLease> {
    const ready = this.idle.pop();
    if (ready !== undefined) return Promise.resolve(new SessionLease(ready, this));
    if (this.live < this.options.sessionsMax) {
      this.live++;
      return Promise.resolve(new SessionLease(this.fresh(), this));
    }
    if (this.waiters.length >= this.options.waitersMax) {
      return Promise.reject(new KvClientError('OVERLOADED', `Cannot start the write: ${this.waiters.length} writes already wait for a session (waitersMax); slow down or raise sessionsMax`));
    }
    return this.wait(deadlineAt, signal);
  }

  /** Sessions made so far (each new one, and each replacement). */
  get sessionsCreated(): number {
    return this.created;
  }

  /** A never-used session with a new id. */
  fresh(): Session {
    this.created++;
    return { id: `${this.options.prefix}.${this.created}`, nextSeq: 1, confirmed: false };
  }

  giveBack(session: Session): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter.grant(session);
    else this.idle.push(session);
  }

  private wait(deadlineAt: number, signal: AbortSignal | undefined): Promise<SessionLease> {
    return new Promise((resolve, reject) => {
      const fail = (message: string): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
        reject(new KvClientError('TIMEOUT', message));
      };
      const onAbort = (): void => fail('Cannot start the write: aborted while waiting for a free session');
      const timer = setTimeout(() => fail('Cannot start the write: the deadline passed while waiting for a free session (all are busy)'), Math.max(0, deadlineAt - Date.now()));
      const waiter: Waiter = {
        grant: (session) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(new SessionLease(session, this));
        },
      };
      this.waiters.push(waiter);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * One SessionPool per Raft group: the server keeps sessions per group (each group's state machine
 * has its own session table), so a session whose seq moved on in one group would be unknown, and
 * refused, in another. Group 0 uses the bare prefix (the unsharded cluster's ids are unchanged).
 *
 * @example
 * ```ts
 * const pools = new GroupSessionPools({ prefix: 'a1b2c3', sessionsMax: 16, waitersMax: 10_000 });
 * const lease = await pools.forGroup(7).acquire(Date.now() + 5_000);
 * ```
 */
export class GroupSessionPools {
  private readonly pools = new Map<number, SessionPool>();

  constructor(private readonly options: SessionPoolOptions) {}

  forGroup(group: number): SessionPool {
    let pool = this.pools.get(group);
    if (pool === undefined) {
      const prefix = group === 0 ? this.options.prefix : `${this.options.prefix}-g${group}`;
      pool = new SessionPool({ ...this.options, prefix });
      this.pools.set(group, pool);
    }
    return pool;
  }

  /** Sessions made so far, over all groups. */
  get sessionsCreated(): number {
    let total = 0;
    for (const pool of this.pools.values()) total += pool.sessionsCreated;
    return total;
  }
}
