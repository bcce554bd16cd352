// Goal: which failures the SDK retries, for reads and for writes with and without a session
// (src/client/retry-policy.ts), and the bounds of the jittered backoff with an injected random.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KvClientError, type KvClientErrorOptions } from '../../../src/client/errors.js';
import { backoffMs, checkedRetryOptions, decideRetry, sleep, type OperationTraits, type RetryOptions } from '../../../src/client/retry-policy.js';
import type { KvErrorCode } from '../../../src/shared/errors.js';

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const CANCELLED = 1;

function err(code: KvErrorCode, options: KvClientErrorOptions): KvClientError {
  return new KvClientError(code, 'test', options);
}

const notLeaderWithHint = err('NOT_LEADER', { fromServer: true, grpcCode: UNAVAILABLE, details: { leaderId: 2, leaderAddr: 'b:1', term: 3 } });
const notLeaderNoHint = err('NOT_LEADER', { fromServer: true, grpcCode: UNAVAILABLE, details: { term: 3 } });
const noLeader = err('NO_LEADER', { fromServer: true, grpcCode: UNAVAILABLE });
const overloaded = err('OVERLOADED', { fromServer: true, grpcCode: 8 });
const neverSent = err('NO_LEADER', { grpcCode: UNAVAILABLE, neverSent: true });
const dropped = err('NO_LEADER', { grpcCode: UNAVAILABLE });
const timeout = err('TIMEOUT', { grpcCode: DEADLINE_EXCEEDED });
const cancelled = err('TIMEOUT', { grpcCode: CANCELLED });
const sessionRefused = err('INVALID_ARGUMENT', { fromServer: true, grpcCode: 3, details: { field: 'session' } });
const badKey = err('INVALID_ARGUMENT', { fromServer: true, grpcCode: 3, details: { field: 'key' } });
const casMismatch = err('CAS_MISMATCH', { fromServer: true, grpcCode: 9 });
const internal = err('INTERNAL', { grpcCode: 13 });
const noSpace = err('NOSPACE', { fromServer: true, grpcCode: 8 });
const corrupt = err('CORRUPT', { fromServer: true, grpcCode: UNAVAILABLE });

const read: OperationTraits = { kind: 'read', hasSession: false };
const writeSession: OperationTraits = { kind: 'write', hasSession: true };
const writeBare: OperationTraits = { kind: 'write', hasSession: false };

describe('decideRetry()', () => {
  it.each([
    ['NOT_LEADER with a leader address', notLeaderWithHint, 'redirect', 'redirect', 'redirect', false],
    ['NOT_LEADER without an address', notLeaderNoHint, 'backoff', 'backoff', 'backoff', false],
    ['NO_LEADER from the server', noLeader, 'backoff', 'backoff', 'backoff', false],
    ['OVERLOADED from the server', overloaded, 'backoff', 'backoff', 'backoff', false],
    ['UNAVAILABLE, never sent', neverSent, 'backoff', 'backoff', 'backoff', false],
    ['UNAVAILABLE after sending', dropped, 'backoff', 'backoff', 'fail', true],
    ['DEADLINE_EXCEEDED', timeout, 'backoff', 'backoff', 'fail', true],
    ['INVALID_ARGUMENT on the session', sessionRefused, 'fail', 'renewSession', 'fail', false],
    ['INVALID_ARGUMENT on the key', badKey, 'fail', 'fail', 'fail', false],
    ['CAS_MISMATCH', casMismatch, 'fail', 'fail', 'fail', false],
    ['INTERNAL', internal, 'fail', 'fail', 'fail', false],
    ['NOSPACE (space quota alarm)', noSpace, 'fail', 'fail', 'fail', false],
    ['CORRUPT (a replica refused to serve)', corrupt, 'backoff', 'backoff', 'backoff', false],
  ] as const)('%s: read %s, write with session %s, write without %s', (_name, error, forRead, forSession, forBare, writeMaybeApplied) => {
    expect(decideRetry(error, read)).toEqual({ action: forRead, maybeApplied: false });
    expect(decideRetry(error, writeSession)).toEqual({ action: forSession, maybeApplied: writeMaybeApplied });
    expect(decideRetry(error, writeBare)).toEqual({ action: forBare, maybeApplied: writeMaybeApplied });
  });

  it('a cancelled write may have applied; a cancelled read just fails', () => {
    expect(decideRetry(cancelled, writeBare)).toEqual({ action: 'fail', maybeApplied: true });
    expect(decideRetry(cancelled, read)).toEqual({ action: 'fail', maybeApplied: false });
  });

  it('an error that is not a KvClientError is not retried', () => {
    expect(decideRetry(new Error('boom'), read)).toEqual({ action: 'fail', maybeApplied: false });
  });
});

describe('backoffMs()', () => {
  const options: RetryOptions = { attemptsMax: 10, backoffMsMin: 20, backoffMsMax: 500 };

  it.each([
    [1, 20, 40],
    [2, 20, 80],
    [3, 20, 160],
    [4, 20, 320],
    [5, 20, 500],
    [30, 20, 500],
  ])('retry %i waits between %i and %i ms', (retry, min, max) => {
    expect(backoffMs(retry, options, () => 0)).toBe(min);
    expect(backoffMs(retry, options, () => 0.999_999)).toBe(max);
    const middle = backoffMs(retry, options, () => 0.5);
    expect(middle).toBeGreaterThanOrEqual(min);
    expect(middle).toBeLessThanOrEqual(max);
  });

  it('clamps a random source that strays outside [0, 1)', () => {
    expect(backoffMs(2, options, () => -3)).toBe(20);
    expect(backoffMs(2, options, () => 7)).toBe(80);
  });

  it('never waits less than backoffMsMin or more than backoffMsMax, whatever the retry number', () => {
    for (let retry = 0; retry < 100; retry++) {
      const wait = backoffMs(retry, options, Math.random);
      expect(wait).toBeGreaterThanOrEqual(20);
      expect(wait).toBeLessThanOrEqual(500);
    }
  });
});

describe('checkedRetryOptions()', () => {
  it('fills defaults and keeps what the caller gave', () => {
    expect(checkedRetryOptions({ attemptsMax: 3 })).toEqual({ attemptsMax: 3, backoffMsMin: 25, backoffMsMax: 1_000 });
  });

  it.each([
    [{ attemptsMax: 0 }, 'retry.attemptsMax'],
    [{ backoffMsMin: -1 }, 'retry.backoffMsMin'],
    [{ backoffMsMin: 100, backoffMsMax: 50 }, 'retry.backoffMsMax'],
  ])('refuses %o naming %s', (options, field) => {
    expect(() => checkedRetryOptions(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', details: { field } }));
  });
});

describe('sleep()', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the wait on a fake clock', async () => {
    vi.useFakeTimers();
    let done = false;
    const slept = sleep(100, undefined, () => new Error('aborted')).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
  });

  it('rejects at once when the signal aborts', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const slept = sleep(10_000, controller.signal, () => new Error('aborted'));
    controller.abort();
    await expect(slept).rejects.toThrow('aborted');
  });

  it('rejects without waiting when the signal was already aborted', async () => {
    await expect(sleep(10_000, AbortSignal.abort(), () => new Error('aborted'))).rejects.toThrow('aborted');
  });
});
