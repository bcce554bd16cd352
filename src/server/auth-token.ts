/**
 * Short-lived bearer tokens: `v1.<payload>.<mac>`, payload the base64url JSON `{ "u": user,
 * "exp": ms }`, mac its HMAC-SHA256 under the replicated secret (auth-state.ts). Every node holds
 * the secret, so a token minted by one node is honoured by all, across leader changes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenCheck = { readonly ok: true; readonly user: string; readonly expiresAtMs: number } | { readonly ok: false; readonly problem: string };

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'base64')).update(payload).digest();
}

export function signToken(secret: string, user: string, expiresAtMs: number): string {
  const payload = Buffer.from(JSON.stringify({ u: user, exp: expiresAtMs })).toString('base64url');
  return `v1.${payload}.${mac(secret, payload).toString('base64url')}`;
}

export function verifyToken(secret: string, token: string, nowMs: number): TokenCheck {
  const [version, payload, signature, extra] = token.split('.');
  if (version !== 'v1' || payload === undefined || signature === undefined || extra !== undefined) return { ok: false, problem: 'the token is malformed' };
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, payload);
  if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) return { ok: false, problem: 'the token signature is invalid' };
  let claims: { u?: unknown; exp?: unknown };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { u?: unknown; exp?: unknown };
  } catch {
    return { ok: false, problem: 'the token is malformed' };
  }
  if (typeof claims.u !== 'string' || typeof claims.exp !== 'number') return { ok: false, problem: 'the token is malformed' };
  if (claims.exp <= nowMs) return { ok: false, problem: 'the token expired' };
  return { ok: true, user: claims.u, expiresAtMs: claims.exp };
}

/** Verified tokens kept, so a client's calls cost one HMAC per token, not per call. */
const VERIFIED_MAX = 1024;

/**
 * verifyToken with a bounded memo of tokens already verified under `secret` (their expiry is still
 * checked on every call). Cleared whole when full or when the secret changes: simple and bounded.
 */
export class TokenVerifier {
  private secret = '';
  private readonly verified = new Map<string, { readonly user: string; readonly expiresAtMs: number }>();

  verify(secret: string, token: string, nowMs: number): TokenCheck {
    if (secret !== this.secret || this.verified.size >= VERIFIED_MAX) {
      this.verified.clear();
      this.secret = secret;
    }
    const known = this.verified.get(token);
    if (known !== undefined) return known.expiresAtMs <= nowMs ? { ok: false, problem: 'the token expired' } : { ok: true, ...known };
    const checked = verifyToken(secret, token, nowMs);
    if (checked.ok) this.verified.set(token, { user: checked.user, expiresAtMs: checked.expiresAtMs });
    return checked;
  }
}
