/**
 * The SDK's auth calls (docs/auth.md): log in, who am I, change users and roles, list them.
 * AuthChange goes to group 0's leader (the meta group when sharded) like a write; it carries no
 * session, so it is retried only when it certainly did not apply.
 */
import { GROUP, type AdminOptions, type ClientCore } from './cluster-calls.js';
import type { IssuedToken } from './credentials.js';
import { KvClientError, isTransportFailure } from './errors.js';
import type { Message } from './kv-stub.js';
import { toBytes } from './wire.js';

/**
 * One change of the replicated auth state. Permissions are `read`, `write` or `readwrite` on a
 * key, a prefix (`prefix: true`) or [key, rangeEnd).
 *
 * @example
 * ```ts
 * await client.authChange({ action: 'role-grant', name: 'app-reader', permission: 'read', key: 'app/', prefix: true });
 * ```
 */
export type AuthChange =
  | { readonly action: 'enable' | 'disable' }
  | { readonly action: 'user-add' | 'user-passwd'; readonly name: string; readonly password: string }
  | { readonly action: 'user-delete' | 'role-add' | 'role-delete'; readonly name: string }
  | { readonly action: 'user-grant-role' | 'user-revoke-role'; readonly name: string; readonly role: string }
  | { readonly action: 'role-grant'; readonly name: string; readonly permission: 'read' | 'write' | 'readwrite'; readonly key: string | Uint8Array; readonly rangeEnd?: string | Uint8Array; readonly prefix?: boolean }
  | { readonly action: 'role-revoke'; readonly name: string; readonly key: string | Uint8Array; readonly rangeEnd?: string | Uint8Array; readonly prefix?: boolean };

/** Whether auth is on, and who the call ran as (empty user: no credential). */
export interface AuthStatus {
  readonly enabled: boolean;
  readonly user: string;
  readonly via: 'token' | 'certificate' | 'none';
}

export interface AuthListing {
  readonly enabled: boolean;
  readonly users: readonly { readonly name: string; readonly roles: readonly string[] }[];
  readonly roles: readonly { readonly name: string; readonly permissions: readonly { readonly type: string; readonly key: Uint8Array; readonly rangeEnd: Uint8Array }[] }[];
}

/** Logs in at the configured endpoints in turn (any node can check a password). */
export async function authenticate(core: Pick<ClientCore, 'pool'>, user: string, password: string, deadlineMs: number): Promise<IssuedToken> {
  let last: unknown;
  for (const endpoint of core.pool.endpoints) {
    try {
      const reply = await core.pool.stub(endpoint).callCluster('Authenticate', { user, password }, { deadlineMs });
      return { token: String(reply['token']), expiresAtMs: Number(reply['expiresAtMs']) };
    } catch (error) {
      last = error;
      if (!isTransportFailure(error)) throw error;
    }
  }
  throw last instanceof Error ? last : new KvClientError('NO_LEADER', 'Cannot log in: no endpoint answered');
}

function signalOf(options: AdminOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

export async function authStatus(core: ClientCore, options: AdminOptions = {}): Promise<AuthStatus> {
  const { response } = await core.runner.run({
    name: 'auth status', kind: 'read', route: 'any', group: GROUP, answeredByLeader: false, request: {},
    send: (stub, r, o) => stub.callCluster('AuthStatus', r, o), deadlineMs: core.deadlineMs(options), ...signalOf(options),
  });
  const via = response['via'];
  return { enabled: response['enabled'] === true, user: String(response['user'] ?? ''), via: via === 'token' || via === 'certificate' ? via : 'none' };
}

export async function authChange(core: ClientCore, change: AuthChange, options: AdminOptions = {}): Promise<{ enabled: boolean }> {
  const request: Message = { ...change };
  if ('key' in change) request['key'] = toBytes(change.key);
  if ('rangeEnd' in change && change.rangeEnd !== undefined) request['rangeEnd'] = toBytes(change.rangeEnd);
  const { response } = await core.runner.run({
    name: `auth ${change.action}`, kind: 'write', route: 'leader', group: GROUP, answeredByLeader: false, request,
    send: (stub, r, o) => stub.callCluster('AuthChange', r, o), deadlineMs: core.deadlineMs(options), ...signalOf(options),
  });
  return { enabled: response['enabled'] === true };
}

export async function authList(core: ClientCore, options: AdminOptions = {}): Promise<AuthListing> {
  const { response } = await core.runner.run({
    name: 'auth list', kind: 'read', route: 'any', group: GROUP, answeredByLeader: false, request: {},
    send: (stub, r, o) => stub.callCluster('AuthList', r, o), deadlineMs: core.deadlineMs(options), ...signalOf(options),
  });
  const list = (v: unknown): Message[] => (Array.isArray(v) ? (v as Message[]) : []);
  const bytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? new Uint8Array(v) : new Uint8Array(0));
  return {
    enabled: response['enabled'] === true,
    users: list(response['users']).map((u) => ({ name: String(u['name']), roles: list(u['roles']).map(String) })),
    roles: list(response['roles']).map((r) => ({
      name: String(r['name']),
      permissions: list(r['permissions']).map((p) => ({ type: String(p['type']), key: bytes(p['key']), rangeEnd: bytes(p['rangeEnd']) })),
    })),
  };
}
