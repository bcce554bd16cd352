/**
 * The SDK's token handling (credentials.ts) with a fake login and clock: one login for many
 * calls, a new one before expiry, one after an "expired" refusal; and the server's login bound
 * (auth-calls.ts) with a fake store.
 */
import { describe, expect, it } from 'vitest';
import { TokenAuth } from '../../../src/client/credentials.js';
import { KvClientError } from '../../../src/client/errors.js';
import { AuthCalls } from '../../../src/server/auth-calls.js';
import { authEdits, EMPTY_AUTH } from '../../../src/server/auth-state.js';
import { hashPassword } from '../../../src/server/password-hash.js';

function bearer(metadata: unknown): string | undefined {
  const value = (metadata as { get(key: string): unknown[] }).get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}

describe('TokenAuth', () => {
  it('logs in once, again before expiry, and again after an expired refusal', async () => {
    let now = 0;
    let logins = 0;
    const auth = new TokenAuth({ user: 'alice', password: 'pw' }, () => {
      logins++;
      return Promise.resolve({ token: `t${logins}`, expiresAtMs: now + 300_000 });
    }, () => now);
    const [a, b] = await Promise.all([auth.metadata('Put'), auth.metadata('Get')]);
    expect([bearer(a), bearer(b), logins]).toEqual(['Bearer t1', 'Bearer t1', 1]);
    now = 260_000; // 40 s left: still used
    expect(bearer(await auth.metadata('Put'))).toBe('Bearer t1');
    now = 275_000; // 25 s left: inside the 30 s margin
    expect(bearer(await auth.metadata('Put'))).toBe('Bearer t2');
    auth.onFailed(new KvClientError('UNAUTHENTICATED', 'Cannot Put: the token expired; log in again'));
    expect(bearer(await auth.metadata('Put'))).toBe('Bearer t3');
    expect(bearer(await auth.metadata('Authenticate'))).toBeUndefined();
  });

  it('sends a fixed token as given and never logs in', async () => {
    const auth = new TokenAuth({ token: 'fixed' }, () => Promise.reject(new Error('no login')));
    expect(bearer(await auth.metadata('Get'))).toBe('Bearer fixed');
  });
});

describe('AuthCalls.authenticate()', () => {
  it('refuses logins past the bound with OVERLOADED and a wrong password with UNAUTHENTICATED', async () => {
    const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    const state = authEdits.userAdd({ ...EMPTY_AUTH, secret: 'c2VjcmV0' }, 'alice', hash);
    const calls = new AuthCalls({ store: { known: () => state, change: () => Promise.reject(new Error('unused')) }, tokenTtlMs: 60_000, loginsMax: 2 });
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => calls.authenticate({ user: 'alice', password: 'pw' })));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as KvClientError).code))).toEqual(['ok', 'ok', 'OVERLOADED']);
    await expect(calls.authenticate({ user: 'alice', password: 'bad' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(calls.authenticate({ user: 'bob', password: 'pw' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
