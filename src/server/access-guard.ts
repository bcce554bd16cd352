/**
 * The one check at the client port's boundary (docs/auth.md): every unary handler (rpc.ts) and the
 * SnapshotSave stream ask `authorize(call, method, request)` before doing anything. With auth off
 * everything is allowed as before; with auth on the caller is the user of a valid bearer token in
 * `authorization` metadata, else the CN of a verified TLS client certificate, else nobody.
 * System keys (kv-table.ts) are refused to every client, auth on or off.
 */
import type { Metadata } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import { KvError } from '../shared/errors.js';
import { isSystemKey, type KeyBounds } from '../storage/kv-table.js';
import { EMPTY_AUTH, isRoot, uncovered, type AuthState } from './auth-state.js';
import { unknownState } from './auth-store.js';
import { TokenVerifier } from './auth-token.js';
import { needOf, type Need } from './access-needs.js';
import type { Obj } from './rpc.js';

export interface CallIdentity {
  /** Empty when the call carried no credential (allowed only while auth is off or for open calls). */
  readonly user: string;
  readonly via: 'token' | 'certificate' | 'none';
}

export interface GuardedCall {
  readonly metadata: Metadata;
  getAuthContext?(): AuthContext;
}

const NOBODY: CallIdentity = { user: '', via: 'none' };
const tokens = new TokenVerifier();

/** The CN of the verified client certificate, or undefined (no TLS, no certificate, no CN). */
export function certificateUser(call: Pick<GuardedCall, 'getAuthContext'>): string | undefined {
  const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

function bearer(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  return value.startsWith('Bearer ') ? value.slice('Bearer '.length).trim() : '';
}

function unauthenticated(what: string, why: string): KvError {
  return new KvError('UNAUTHENTICATED', `Cannot ${what}: ${why}`);
}

/** Who the call runs as; throws UNAUTHENTICATED for a bad or expired token or an unknown user. */
export function identify(state: AuthState, call: GuardedCall, what: string, nowMs: number): CallIdentity {
  const token = bearer(call.metadata);
  if (token !== undefined) {
    if (token === '') throw unauthenticated(what, 'the authorization metadata is not "Bearer <token>"');
    const checked = tokens.verify(state.secret, token, nowMs);
    if (!checked.ok) throw unauthenticated(what, `${checked.problem}; log in again`);
    if (!Object.hasOwn(state.users, checked.user)) throw unauthenticated(what, `user "${checked.user}" no longer exists`);
    return { user: checked.user, via: 'token' };
  }
  const cn = certificateUser(call);
  if (cn !== undefined) {
    if (!Object.hasOwn(state.users, cn)) throw unauthenticated(what, `the client certificate names user "${cn}", who does not exist`);
    return { user: cn, via: 'certificate' };
  }
  return NOBODY;
}

function describe(bounds: KeyBounds): string {
  const text = (b: Uint8Array): string => JSON.stringify(Buffer.from(b).toString('utf8'));
  const { lower, upper } = bounds;
  if (upper !== null && upper.byteLength === lower.byteLength + 1 && upper[lower.byteLength] === 0 && Buffer.compare(upper.subarray(0, lower.byteLength), lower) === 0) {
    return `key ${text(lower)}`;
  }
  return `range [${text(lower)}, ${upper === null || isSystemKey(upper) ? 'end' : text(upper)})`;
}

function refuseSystemKeys(need: Need, method: string): void {
  if (need.kind !== 'keys') return;
  const bad = [...need.keys.read, ...need.keys.write].find((b) => b.lower.byteLength > 0 && isSystemKey(b.lower));
  if (bad !== undefined) throw new KvError('INVALID_ARGUMENT', `Cannot serve ${method}: keys starting with four 0xff bytes are reserved for the server`, { field: 'key' });
}

/**
 * Throws UNAUTHENTICATED or PERMISSION_DENIED naming the problem; returns who the call runs as.
 * `state` null: this node does not know the auth state yet (auth-store.ts). Open calls and
 * read-only views are served as without auth; data and root calls fail closed with NO_LEADER.
 */
export function authorize(known: AuthState | null, call: GuardedCall, method: string, request: Obj, nowMs: number, whyUnknown: (what: string) => KvError = unknownState): CallIdentity {
  const need = needOf(method, request);
  refuseSystemKeys(need, method);
  if (known === null && (need.kind === 'keys' || need.kind === 'root')) throw whyUnknown(`serve ${method}`);
  const state = known ?? EMPTY_AUTH;
  if (!state.enabled) return bestEffortIdentity(state, call, method, nowMs);
  const identity = identify(state, call, method, nowMs);
  if (need.kind === 'open') return identity;
  if (identity.via === 'none') throw unauthenticated(method, 'auth is enabled and the call carries no token or client certificate; log in (kvctl --user NAME)');
  const user = identity.user;
  if (need.kind === 'root' && !isRoot(state, user)) {
    throw new KvError('PERMISSION_DENIED', `Cannot ${method}: user "${user}" lacks role "root", which ${method} needs`);
  }
  if (need.kind === 'keys') {
    const missing = uncovered(state, user, need.keys);
    if (missing !== null) throw new KvError('PERMISSION_DENIED', `Cannot ${method}: user "${user}" has no ${missing.type} permission on ${describe(missing.bounds)}`);
  }
  return identity;
}

/** With auth off a credential is optional; a bad one is ignored, as it would be without auth. */
function bestEffortIdentity(state: AuthState, call: GuardedCall, method: string, nowMs: number): CallIdentity {
  try {
    return identify(state, call, method, nowMs);
  } catch {
    return NOBODY;
  }
}
