/**
 * The replicated auth state (docs/auth.md): users with scrypt password hashes, roles granting
 * read, write or readwrite on key ranges, the enabled flag and the token signing secret. One JSON
 * document, kept by auth-store.ts under a reserved key of the meta group (group 0 when unsharded).
 *
 * Everything here is pure: edits take a state and return a new one (or throw a KvError naming the
 * problem), and `uncovered` decides a data access from a state alone, so every node that applied
 * the same entries decides alike.
 */
import { KvError } from '../shared/errors.js';
import type { KeyBounds } from '../storage/kv-table.js';

export const ROOT = 'root';
export const PERMISSION_TYPES = ['read', 'write', 'readwrite'] as const;
export type PermissionType = (typeof PERMISSION_TYPES)[number];

/** Keys in [start, end); `end` null is the end of the key space. Bytes as base64 in the JSON. */
export interface Permission {
  readonly type: PermissionType;
  readonly start: string;
  readonly end: string | null;
}

export interface AuthUser {
  /** password-hash.ts format; never the password. Empty: the user can log in only by certificate. */
  readonly hash: string;
  readonly roles: readonly string[];
}

export interface AuthState {
  readonly enabled: boolean;
  /** base64 of the HMAC-SHA256 token key; made on the first change, replicated with the rest. */
  readonly secret: string;
  readonly users: Readonly<Record<string, AuthUser>>;
  readonly roles: Readonly<Record<string, readonly Permission[]>>;
}

export const EMPTY_AUTH: AuthState = { enabled: false, secret: '', users: {}, roles: {} };
const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

function invalid(field: string, message: string): KvError {
  return new KvError('INVALID_ARGUMENT', message, { field });
}

export function checkName(name: string, what: 'user' | 'role'): void {
  if (!NAME.test(name)) throw invalid(what, `Cannot accept ${what} name "${name.slice(0, 64)}": use 1 to 64 of A-Z a-z 0-9 _ . @ -`);
}

function user(state: AuthState, name: string): AuthUser {
  const found = Object.hasOwn(state.users, name) ? state.users[name] : undefined;
  if (found === undefined) throw invalid('user', `Cannot find user "${name}"`);
  return found;
}

function role(state: AuthState, name: string): readonly Permission[] {
  if (name === ROOT) throw invalid('role', 'Cannot change the permissions of role "root": it may do everything');
  const found = Object.hasOwn(state.roles, name) ? state.roles[name] : undefined;
  if (found === undefined) throw invalid('role', `Cannot find role "${name}"`);
  return found;
}

function withUser(state: AuthState, name: string, value: AuthUser | undefined): AuthState {
  const users = { ...state.users };
  if (value === undefined) delete users[name];
  else users[name] = value;
  return { ...state, users };
}

function withRole(state: AuthState, name: string, value: readonly Permission[] | undefined): AuthState {
  const roles = { ...state.roles };
  if (value === undefined) delete roles[name];
  else roles[name] = value;
  return { ...state, roles };
}

export const authEdits = {
  userAdd(state: AuthState, name: string, hash: string): AuthState {
    checkName(name, 'user');
    if (Object.hasOwn(state.users, name)) throw invalid('user', `Cannot add user "${name}": it exists`);
    return withUser(state, name, { hash, roles: [] });
  },
  userDelete(state: AuthState, name: string): AuthState {
    user(state, name);
    if (name === ROOT && state.enabled) throw invalid('user', 'Cannot delete user "root" while auth is enabled');
    return withUser(state, name, undefined);
  },
  passwd(state: AuthState, name: string, hash: string): AuthState {
    return withUser(state, name, { ...user(state, name), hash });
  },
  grantRole(state: AuthState, name: string, roleName: string): AuthState {
    const found = user(state, name);
    if (roleName !== ROOT) role(state, roleName);
    if (found.roles.includes(roleName)) return state;
    return withUser(state, name, { ...found, roles: [...found.roles, roleName] });
  },
  revokeRole(state: AuthState, name: string, roleName: string): AuthState {
    const found = user(state, name);
    if (!found.roles.includes(roleName)) throw invalid('role', `Cannot revoke role "${roleName}" from user "${name}": the user does not have it`);
    if (name === ROOT && roleName === ROOT && state.enabled) throw invalid('role', 'Cannot revoke role "root" from user "root" while auth is enabled');
    return withUser(state, name, { ...found, roles: found.roles.filter((r) => r !== roleName) });
  },
  roleAdd(state: AuthState, name: string): AuthState {
    checkName(name, 'role');
    if (name === ROOT || Object.hasOwn(state.roles, name)) throw invalid('role', `Cannot add role "${name}": it exists`);
    return withRole(state, name, []);
  },
  roleDelete(state: AuthState, name: string): AuthState {
    role(state, name);
    const users = Object.fromEntries(Object.entries(state.users).map(([n, u]) => [n, { ...u, roles: u.roles.filter((r) => r !== name) }]));
    return { ...withRole(state, name, undefined), users };
  },
  grant(state: AuthState, name: string, permission: Permission): AuthState {
    return withRole(state, name, [...role(state, name), permission]);
  },
  /** Removes the permissions over exactly this range (any type). */
  revoke(state: AuthState, name: string, start: string, end: string | null): AuthState {
    const before = role(state, name);
    const after = before.filter((p) => !(p.start === start && p.end === end));
    if (after.length === before.length) throw invalid('range', `Cannot revoke: role "${name}" has no permission on that exact range`);
    return withRole(state, name, after);
  },
  enable(state: AuthState): AuthState {
    const root = Object.hasOwn(state.users, ROOT) ? state.users[ROOT] : undefined;
    if (root === undefined) throw invalid('user', 'Cannot enable auth: add user "root" first (kvctl user add root)');
    // As etcd: enabling gives the root user the root role, so the operator cannot lock themselves out.
    const roles = root.roles.includes(ROOT) ? root.roles : [...root.roles, ROOT];
    return { ...withUser(state, ROOT, { ...root, roles }), enabled: true };
  },
  disable(state: AuthState): AuthState {
    return { ...state, enabled: false };
  },
};

export function isRoot(state: AuthState, name: string): boolean {
  return Object.hasOwn(state.users, name) && (state.users[name]?.roles.includes(ROOT) ?? false);
}

/** The key accesses a request makes; each must be covered by the user's permissions. */
export interface KeyNeed {
  readonly read: readonly KeyBounds[];
  readonly write: readonly KeyBounds[];
}

/**
 * The first access in `need` the user may not make, or null when every one is covered. Permissions
 * of all the user's roles are merged first, so a range may be covered by two adjacent grants.
 */
export function uncovered(state: AuthState, name: string, need: KeyNeed): { type: 'read' | 'write'; bounds: KeyBounds } | null {
  if (isRoot(state, name)) return null;
  const merged = mergedOf(state, name);
  for (const type of ['read', 'write'] as const) {
    const missing = need[type].find((bounds) => !merged[type].some((m) => contains(m, bounds)));
    if (missing !== undefined) return { type, bounds: missing };
  }
  return null;
}

type Merged = Readonly<Record<'read' | 'write', readonly KeyBounds[]>>;
/** Per state (states are immutable), each user's merged intervals: computed once, not per call. */
const mergedCache = new WeakMap<AuthState, Map<string, Merged>>();

function mergedOf(state: AuthState, name: string): Merged {
  let users = mergedCache.get(state);
  if (users === undefined) mergedCache.set(state, (users = new Map()));
  const cached = users.get(name);
  if (cached !== undefined) return cached;
  const found = Object.hasOwn(state.users, name) ? state.users[name] : undefined;
  const permissions = (found?.roles ?? []).flatMap((r) => (Object.hasOwn(state.roles, r) ? state.roles[r] ?? [] : []));
  const of = (type: 'read' | 'write'): KeyBounds[] => mergeIntervals(permissions.filter((p) => p.type === type || p.type === 'readwrite').map(toBounds));
  const merged = { read: of('read'), write: of('write') };
  users.set(name, merged);
  return merged;
}

function toBounds(p: Permission): KeyBounds {
  return { lower: Buffer.from(p.start, 'base64'), upper: p.end === null ? null : Buffer.from(p.end, 'base64') };
}

/** upper null (the end of the key space) sorts after every key. */
function compareUpper(a: Uint8Array | null, b: Uint8Array | null): number {
  if (a === null) return b === null ? 0 : 1;
  return b === null ? -1 : Buffer.compare(a, b);
}

function contains(outer: KeyBounds, inner: KeyBounds): boolean {
  if (inner.upper !== null && Buffer.compare(inner.lower, inner.upper) >= 0) return true; // empty
  return Buffer.compare(outer.lower, inner.lower) <= 0 && compareUpper(inner.upper, outer.upper) <= 0;
}

export function mergeIntervals(intervals: readonly KeyBounds[]): KeyBounds[] {
  const sorted = [...intervals].sort((a, b) => Buffer.compare(a.lower, b.lower));
  const merged: KeyBounds[] = [];
  for (const next of sorted) {
    const last = merged[merged.length - 1];
    // Adjacent or overlapping: last.upper >= next.lower.
    if (last !== undefined && (last.upper === null || Buffer.compare(last.upper, next.lower) >= 0)) {
      merged[merged.length - 1] = { lower: last.lower, upper: compareUpper(last.upper, next.upper) >= 0 ? last.upper : next.upper };
    } else {
      merged.push(next);
    }
  }
  return merged;
}

/** Parses the stored document; a document this build cannot read is our bug (it wrote it). */
export function parseAuthState(text: string): AuthState {
  const doc = JSON.parse(text) as { format?: unknown } & AuthState;
  if (doc.format !== 1) throw new KvError('INTERNAL', `Cannot read the auth state: format ${String(doc.format)}, this build knows 1`);
  return { enabled: doc.enabled, secret: doc.secret, users: doc.users, roles: doc.roles };
}

export function serializeAuthState(state: AuthState): string {
  return JSON.stringify({ format: 1, ...state });
}
