/**
 * The pure parts of auth (docs/auth.md): scrypt hashes, token signing, permission coverage, the
 * edits of the replicated state and the guard's decisions, on in-memory states and fake calls.
 */
import { Metadata } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { KvError } from '../../../src/shared/errors.js';
import { authEdits, EMPTY_AUTH, parseAuthState, serializeAuthState, uncovered, type AuthState } from '../../../src/server/auth-state.js';
import { signToken, verifyToken } from '../../../src/server/auth-token.js';
import { hashPassword, verifyPassword } from '../../../src/server/password-hash.js';
import { authorize, certificateUser, type GuardedCall } from '../../../src/server/access-guard.js';
import { permissionRange } from '../../../src/server/auth-calls.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const SECRET = Buffer.alloc(32, 7).toString('base64');
const FAST = { N: 1024, r: 8, p: 1 };

function grant(state: AuthState, role: string, type: 'read' | 'write' | 'readwrite', key: string, opts: { end?: string; prefix?: boolean } = {}): AuthState {
  return authEdits.grant(state, role, { type, ...permissionRange(enc(key), enc(opts.end ?? ''), opts.prefix === true) });
}

/** root (root role) and alice (role app-reader: read on prefix app/), auth enabled. */
function sample(): AuthState {
  let s: AuthState = { ...EMPTY_AUTH, secret: SECRET };
  s = authEdits.userAdd(s, 'root', 'h');
  s = authEdits.userAdd(s, 'alice', 'h');
  s = authEdits.roleAdd(s, 'app-reader');
  s = grant(s, 'app-reader', 'read', 'app/', { prefix: true });
  s = authEdits.grantRole(s, 'alice', 'app-reader');
  return authEdits.enable(s);
}

function call(options: { token?: string; cn?: string } = {}): GuardedCall {
  const metadata = new Metadata();
  if (options.token !== undefined) metadata.set('authorization', `Bearer ${options.token}`);
  return { metadata, getAuthContext: () => (options.cn === undefined ? {} : { sslPeerCertificate: { subject: { CN: options.cn } } as never }) };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof KvError ? error.code : String(error);
  }
}

describe('password hash', () => {
  it('hashPassword() stores parameters and salt, and verifyPassword() accepts only the password', async () => {
    const hash = await hashPassword('s3cret', FAST);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(hash).not.toContain('s3cret');
    expect(await verifyPassword('s3cret', hash)).toBe(true);
    expect(await verifyPassword('s3cret!', hash)).toBe(false);
    expect(await hashPassword('s3cret', FAST)).not.toBe(hash); // a random salt each time
    expect(await verifyPassword('s3cret', 'md5$abc')).toBe(false);
  });
});

describe('tokens', () => {
  it('verifyToken() accepts a fresh token and names expiry, tampering and another secret', () => {
    const token = signToken(SECRET, 'alice', 10_000);
    expect(verifyToken(SECRET, token, 9_999)).toEqual({ ok: true, user: 'alice', expiresAtMs: 10_000 });
    expect(verifyToken(SECRET, token, 10_000)).toEqual({ ok: false, problem: 'the token expired' });
    const [v, payload, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'root', exp: 10_000 })).toString('base64url');
    expect(verifyToken(SECRET, `${v}.${forged}.${mac}`, 0)).toEqual({ ok: false, problem: 'the token signature is invalid' });
    expect(verifyToken(Buffer.alloc(32, 8).toString('base64'), token, 0)).toMatchObject({ ok: false });
    expect(verifyToken(SECRET, `${v}.${payload}`, 0)).toEqual({ ok: false, problem: 'the token is malformed' });
  });
});

describe('permissions', () => {
  const s = sample();
  const point = (k: string) => ({ lower: enc(k), upper: enc(`${k}\0`) });
  const range = (a: string, b: string | null) => ({ lower: enc(a), upper: b === null ? null : enc(b) });

  it.each([
    ['a key under the prefix', { read: [point('app/x')], write: [] }, null],
    ['a range inside the prefix', { read: [range('app/a', 'app/z')], write: [] }, null],
    ['the whole prefix', { read: [range('app/', 'app0')], write: [] }, null],
    ['a key outside', { read: [point('other/x')], write: [] }, 'read'],
    ['a range past the prefix', { read: [range('app/a', 'b')], write: [] }, 'read'],
    ['a write under a read-only prefix', { read: [], write: [point('app/x')] }, 'write'],
  ] as const)('uncovered() for %s', (_name, need, type) => {
    expect(uncovered(s, 'alice', need)?.type ?? null).toBe(type);
  });

  it('permissionRange() leaves a Buffer key as it was (prefixEnd slices a view of a Buffer)', () => {
    const key = Buffer.from('app/');
    expect(permissionRange(key, new Uint8Array(0), true)).toEqual({ start: Buffer.from('app/').toString('base64'), end: Buffer.from('app0').toString('base64') });
    expect(key.toString()).toBe('app/');
  });

  it('uncovered() merges adjacent grants and lets root do anything', () => {
    let t = authEdits.roleAdd(s, 'split');
    t = grant(t, 'split', 'readwrite', 'a', { end: 'm' });
    t = grant(t, 'split', 'write', 'm', { end: 'z' });
    t = authEdits.grantRole(t, 'alice', 'split');
    expect(uncovered(t, 'alice', { read: [], write: [range('b', 'y')] })).toBeNull();
    expect(uncovered(t, 'alice', { read: [range('b', 'y')], write: [] })?.type).toBe('read');
    expect(uncovered(t, 'root', { read: [range('', null)], write: [range('', null)] })).toBeNull();
  });

  it('edits refuse enabling without root, and keep the state through serialization', () => {
    expect(codeOf(() => authEdits.enable(EMPTY_AUTH))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => authEdits.userDelete(s, 'root'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => authEdits.userAdd(s, 'bad name', 'h'))).toBe('INVALID_ARGUMENT');
    expect(s.users['root']?.roles).toContain('root');
    expect(parseAuthState(serializeAuthState(s))).toEqual(s);
    const dropped = authEdits.roleDelete(s, 'app-reader');
    expect(dropped.users['alice']?.roles).toEqual([]);
  });
});

describe('access guard', () => {
  const s = sample();
  const token = (user: string) => signToken(SECRET, user, Date.now() + 60_000);
  const put = (key: string) => ({ key: Buffer.from(key), value: Buffer.from('v') });

  it('authorize() lets everything through with auth off, but never a system key', () => {
    const off = authEdits.disable(s);
    expect(authorize(off, call(), 'Put', put('a'), Date.now())).toEqual({ user: '', via: 'none' });
    expect(authorize(off, call(), 'MemberRemove', {}, Date.now()).via).toBe('none');
    expect(codeOf(() => authorize(off, call(), 'Get', { key: Buffer.from([0xff, 0xff, 0xff, 0xff, 1]) }, Date.now()))).toBe('INVALID_ARGUMENT');
  });

  it('authorize() fails closed for data and root calls while the node does not know the auth state', () => {
    expect(codeOf(() => authorize(null, call(), 'Put', put('a'), Date.now()))).toBe('NO_LEADER');
    expect(codeOf(() => authorize(null, call(), 'MemberRemove', {}, Date.now()))).toBe('NO_LEADER');
    expect(authorize(null, call(), 'ShardMap', {}, Date.now()).via).toBe('none');
  });

  it('authorize() names the problem: no credential, bad token, missing permission or role', () => {
    const now = Date.now();
    expect(() => authorize(s, call(), 'Put', put('app/x'), now)).toThrow(/carries no token/);
    expect(() => authorize(s, call({ token: 'v1.x.y' }), 'Put', put('app/x'), now)).toThrow(/signature is invalid/);
    expect(() => authorize(s, call({ token: signToken(SECRET, 'alice', now - 1) }), 'Get', { key: Buffer.from('app/x') }, now)).toThrow(/expired/);
    expect(() => authorize(s, call({ token: token('alice') }), 'Put', put('app/x'), now)).toThrow('user "alice" has no write permission on key "app/x"');
    expect(() => authorize(s, call({ token: token('alice') }), 'MemberRemove', {}, now)).toThrow('lacks role "root"');
    expect(authorize(s, call({ token: token('alice') }), 'Get', { key: Buffer.from('app/x') }, now)).toEqual({ user: 'alice', via: 'token' });
    expect(authorize(s, call({ token: token('root') }), 'MemberRemove', {}, now).user).toBe('root');
    expect(authorize(s, call(), 'Status', {}, now).via).toBe('none');
  });

  it('authorize() checks every key a Txn touches, compares and both branches', () => {
    const now = Date.now();
    const txn = { compares: [{ key: Buffer.from('app/a'), target: 'VERSION', op: 'EQUAL', operand: 'number', number: '0' }], success: [{ get: { key: Buffer.from('app/b') } }], failure: [{ get: { key: Buffer.from('other/c') } }] };
    expect(() => authorize(s, call({ token: token('alice') }), 'Txn', txn, now)).toThrow('no read permission on key "other/c"');
    expect(authorize(s, call({ token: token('alice') }), 'Txn', { ...txn, failure: [] }, now).user).toBe('alice');
    expect(() => authorize(s, call({ token: token('alice') }), 'Range', { start: Buffer.from('app/'), end: Buffer.from([0]) }, now)).toThrow('no read permission on range ["app/", end)');
  });

  it('certificateUser() reads the CN of the verified client certificate, and the guard uses it', () => {
    expect(certificateUser(call({ cn: 'alice' }))).toBe('alice');
    expect(certificateUser(call())).toBeUndefined();
    expect(certificateUser({})).toBeUndefined();
    expect(authorize(s, call({ cn: 'alice' }), 'Get', { key: Buffer.from('app/x') }, Date.now())).toEqual({ user: 'alice', via: 'certificate' });
    expect(() => authorize(s, call({ cn: 'mallory' }), 'Get', { key: Buffer.from('app/x') }, Date.now())).toThrow(/does not exist/);
  });
});
