/**
 * Handlers of the Cluster service's auth calls (cluster.proto: Authenticate, AuthStatus,
 * AuthChange, AuthList). Who may call them is decided by the guard (access-needs.ts); these only
 * do the work. Password hashing runs on libuv's thread pool (password-hash.ts) and at most
 * `loginsMax` logins are checked at once: a flood of logins gets OVERLOADED, never stalls the
 * event loop that drives Raft.
 */
import { KvError } from '../shared/errors.js';
import { keySuccessor, prefixEnd } from '../storage/kv-table.js';
import { authEdits, PERMISSION_TYPES, type AuthState, type Permission } from './auth-state.js';
import type { AuthStore } from './auth-store.js';
import { signToken } from './auth-token.js';
import type { CallIdentity } from './access-guard.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import * as req from './requests.js';
import { decoded, type Obj } from './rpc.js';

export interface AuthCallsOptions {
  readonly store: Pick<AuthStore, 'known' | 'change'>;
  readonly tokenTtlMs: number;
  readonly loginsMax: number;
}

/** Verified against when the user does not exist, so a wrong name costs as long as a wrong password. */
const DUMMY_HASH = hashPassword('raftkv-no-such-user');
const PASSWORD_CHARS_MAX = 1024;

function text(r: Obj, field: string): string {
  const value = r[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new KvError('INVALID_ARGUMENT', `Cannot accept request: ${field} must be a string`, { field });
  return value;
}

function password(r: Obj): string {
  const value = text(r, 'password');
  if (value.length === 0 || value.length > PASSWORD_CHARS_MAX) throw new KvError('INVALID_ARGUMENT', `Cannot accept the password: it must have 1 to ${PASSWORD_CHARS_MAX} characters`, { field: 'password' });
  return value;
}

/** The range a grant or revoke names, as etcd: a key alone, [key, range_end), or a prefix. */
export function permissionRange(key: Uint8Array, rangeEnd: Uint8Array, prefix: boolean): { start: string; end: string | null } {
  const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  if (prefix) {
    const end = prefixEnd(new Uint8Array(key)); // a copy: on a Buffer, prefixEnd's slice would be a view into `key`
    return { start: b64(key), end: end === null ? null : b64(end) };
  }
  if (key.byteLength === 0) throw new KvError('INVALID_ARGUMENT', 'Cannot accept the permission: give a key, a prefix, or a key and range_end', { field: 'key' });
  if (rangeEnd.byteLength === 0) return { start: b64(key), end: b64(keySuccessor(key)) };
  if (rangeEnd.byteLength === 1 && rangeEnd[0] === 0) return { start: b64(key), end: null };
  if (Buffer.compare(key, rangeEnd) >= 0) throw new KvError('INVALID_ARGUMENT', 'Cannot accept the permission: range_end is not after key', { field: 'rangeEnd' });
  return { start: b64(key), end: b64(rangeEnd) };
}

export class AuthCalls {
  private loginsInFlight = 0;

  constructor(private readonly options: AuthCallsOptions) {}

  async authenticate(r: Obj): Promise<Obj> {
    const user = text(r, 'user');
    const given = text(r, 'password');
    if (this.loginsInFlight >= this.options.loginsMax) {
      throw new KvError('OVERLOADED', `Cannot check the password now: ${this.loginsInFlight} logins are being checked, the bound of ${this.options.loginsMax}; retry later`);
    }
    this.loginsInFlight++;
    try {
      const state = this.options.store.known();
      const found = Object.hasOwn(state.users, user) ? state.users[user] : undefined;
      const ok = await verifyPassword(given, found === undefined || found.hash === '' ? await DUMMY_HASH : found.hash);
      if (found === undefined || !ok || state.secret === '') throw new KvError('UNAUTHENTICATED', `Cannot authenticate user "${user.slice(0, 64)}": wrong user name or password`);
      const expiresAtMs = Date.now() + this.options.tokenTtlMs;
      return { token: signToken(state.secret, user, expiresAtMs), expiresAtMs: String(expiresAtMs) };
    } finally {
      this.loginsInFlight--;
    }
  }

  status(identity: CallIdentity): Obj {
    return { enabled: this.options.store.known().enabled, user: identity.user, via: identity.via };
  }

  list(): Obj {
    const state = this.options.store.known();
    const bytes = (b64: string | null): Buffer => Buffer.from(b64 ?? '', 'base64');
    return {
      enabled: state.enabled,
      users: Object.entries(state.users).map(([name, u]) => ({ name, roles: [...u.roles] })),
      roles: Object.entries(state.roles).map(([name, ps]) => ({ name, permissions: ps.map((p) => ({ type: p.type, key: bytes(p.start), rangeEnd: bytes(p.end) })) })),
    };
  }

  async change(r: Obj, deadlineMs: number): Promise<Obj> {
    const edit = await this.editOf(r);
    const state: AuthState = await this.options.store.change(edit, deadlineMs);
    return { enabled: state.enabled };
  }

  private async editOf(r: Obj): Promise<(state: AuthState) => AuthState> {
    const action = text(r, 'action');
    const name = text(r, 'name');
    const role = text(r, 'role');
    switch (action) {
      case 'enable':
        return authEdits.enable;
      case 'disable':
        return authEdits.disable;
      case 'user-add': {
        const hash = await hashPassword(password(r));
        return (s) => authEdits.userAdd(s, name, hash);
      }
      case 'user-passwd': {
        const hash = await hashPassword(password(r));
        return (s) => authEdits.passwd(s, name, hash);
      }
      case 'user-delete':
        return (s) => authEdits.userDelete(s, name);
      case 'user-grant-role':
        return (s) => authEdits.grantRole(s, name, role);
      case 'user-revoke-role':
        return (s) => authEdits.revokeRole(s, name, role);
      case 'role-add':
        return (s) => authEdits.roleAdd(s, name);
      case 'role-delete':
        return (s) => authEdits.roleDelete(s, name);
      case 'role-grant': {
        const permission = this.permission(r);
        return (s) => authEdits.grant(s, name, permission);
      }
      case 'role-revoke': {
        const { start, end } = this.range(r);
        return (s) => authEdits.revoke(s, name, start, end);
      }
      default:
        throw new KvError('INVALID_ARGUMENT', `Cannot change auth: unknown action "${action.slice(0, 32)}"`, { field: 'action' });
    }
  }

  private range(r: Obj): { start: string; end: string | null } {
    return decoded(() => permissionRange(req.bytes(r, 'key'), req.bytes(r, 'rangeEnd'), req.bool(r, 'prefix')));
  }

  private permission(r: Obj): Permission {
    const type = PERMISSION_TYPES.find((t) => t === text(r, 'permission'));
    if (type === undefined) throw new KvError('INVALID_ARGUMENT', `Cannot grant: permission must be one of ${PERMISSION_TYPES.join(', ')}`, { field: 'permission' });
    return { type, ...this.range(r) };
  }
}
