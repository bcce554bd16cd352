/**
 * The SDK side of auth (docs/auth.md): turns `credentials` into `authorization: Bearer <token>`
 * metadata on every call. With a user and password the client logs in on first use, keeps the
 * token, logs in again shortly before it expires, and once more when a server says it expired
 * (clocks differ). A fixed token is sent as given. The password stays in memory only.
 */
import * as grpc from '@grpc/grpc-js';
import { KvClientError } from './errors.js';

/**
 * How the client proves who it is when the cluster has auth enabled.
 *
 * @example
 * ```ts
 * createClient({ endpoints, credentials: { user: 'alice', password: process.env.KV_PASSWORD ?? '' } });
 * createClient({ endpoints, credentials: { token } });
 * ```
 */
export type Credentials = { readonly user: string; readonly password: string } | { readonly token: string };

export interface IssuedToken {
  readonly token: string;
  readonly expiresAtMs: number;
}

/** What a stub asks before each call (kv-stub.ts). */
export interface CallAuth {
  /** Metadata for the call; a promise only when a login must happen first. */
  metadata(method: string): grpc.Metadata | Promise<grpc.Metadata>;
  /** A call failed: an UNAUTHENTICATED "expired" drops the token so the retry logs in again. */
  onFailed(error: unknown): void;
}

/** Log in this long before a token expires (or at a fifth of its lifetime if shorter). */
const REFRESH_MARGIN_MS = 30_000;

export class TokenAuth implements CallAuth {
  private issued: (IssuedToken & { readonly refreshAtMs: number }) | null = null;
  private loggingIn: Promise<IssuedToken> | null = null;

  constructor(
    private readonly credentials: Credentials,
    /** Calls Authenticate on some node; never through this auth (no token yet). */
    private readonly login: (user: string, password: string) => Promise<IssuedToken>,
    private readonly now: () => number = Date.now,
  ) {
    if ('token' in credentials) this.issued = { token: credentials.token, expiresAtMs: Number.POSITIVE_INFINITY, refreshAtMs: Number.POSITIVE_INFINITY };
  }

  metadata(method: string): grpc.Metadata | Promise<grpc.Metadata> {
    if (method === 'Authenticate') return new grpc.Metadata();
    if (this.issued !== null && this.now() < this.issued.refreshAtMs) return withToken(this.issued.token);
    return this.refresh().then((issued) => withToken(issued.token));
  }

  onFailed(error: unknown): void {
    if (error instanceof KvClientError && error.code === 'UNAUTHENTICATED' && error.message.includes('expired') && 'user' in this.credentials) this.issued = null;
  }

  private refresh(): Promise<IssuedToken> {
    const credentials = this.credentials;
    if (!('user' in credentials)) return Promise.reject(new KvClientError('UNAUTHENTICATED', 'Cannot call: the token given is no longer accepted'));
    this.loggingIn ??= this.login(credentials.user, credentials.password).then(
      (issued) => {
        const lifetimeMs = issued.expiresAtMs - this.now();
        this.issued = { ...issued, refreshAtMs: issued.expiresAtMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 5) };
        this.loggingIn = null;
        return issued;
      },
      (error: unknown) => {
        this.loggingIn = null;
        throw error;
      },
    );
    return this.loggingIn;
  }
}

function withToken(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

export function checkedCredentials(credentials: Credentials | undefined): Credentials | undefined {
  if (credentials === undefined) return undefined;
  const bad = 'token' in credentials ? credentials.token === '' : credentials.user === '' || credentials.password === '';
  if (bad) throw new KvClientError('INVALID_ARGUMENT', 'Cannot create the client: credentials need a user and password, or a token', { details: { field: 'credentials' } });
  return credentials;
}
