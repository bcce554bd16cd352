/**
 * Range page tokens: where the next page starts (the last key returned), bound to the range it
 * was issued for. A token replayed against another range (other start, end or prefix) would
 * silently continue from a key of that other range, so it is refused; so is one whose bytes were
 * changed (a checksum over the whole token). The checksum is not a signature: a client that forges
 * a token can only choose where in the range it asked for its next page starts, which it could do
 * with `start` anyway. Shared by the server and the SDK, which builds the token of a page it
 * merged from per-group pages itself.
 *
 * Layout (version 1): version byte | 8-byte range fingerprint | last key | 4-byte checksum.
 */
import { createHash } from 'node:crypto';

const VERSION = 1;
const FINGERPRINT_BYTES = 8;
const CHECKSUM_BYTES = 4;
const HEADER_BYTES = 1 + FINGERPRINT_BYTES;

/** A range as the request gives it (RangeRequest start, end, prefix): both sides have these bytes. */
export interface TokenRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly prefix: boolean;
}

export type DecodedToken = { readonly ok: true; readonly after: Uint8Array } | { readonly ok: false; readonly problem: 'malformed' | 'tampered' | 'another range' };

function digest(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest().subarray(0, bytes));
}

function fingerprint(range: TokenRange): Uint8Array {
  const lengths = new Uint8Array(5);
  new DataView(lengths.buffer).setUint32(0, range.start.byteLength);
  lengths[4] = range.prefix ? 1 : 0;
  // The start's length is hashed so (start "ab", end "c") and (start "a", end "bc") differ.
  return digest([lengths, range.start, range.end], FINGERPRINT_BYTES);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** The token of the page after `lastKey` in `range`. */
export function encodePageToken(range: TokenRange, lastKey: Uint8Array): Uint8Array {
  const body = new Uint8Array(HEADER_BYTES + lastKey.byteLength);
  body[0] = VERSION;
  body.set(fingerprint(range), 1);
  body.set(lastKey, HEADER_BYTES);
  const token = new Uint8Array(body.byteLength + CHECKSUM_BYTES);
  token.set(body);
  token.set(digest([body], CHECKSUM_BYTES), body.byteLength);
  return token;
}

/**
 * The key a token continues after, if it is intact and was issued for `range`. `keyBytesMax`
 * bounds the key it may carry (a token is at most that plus 13 bytes).
 */
export function decodePageToken(token: Uint8Array, range: TokenRange, keyBytesMax: number): DecodedToken {
  if (token.byteLength <= HEADER_BYTES + CHECKSUM_BYTES || token.byteLength > HEADER_BYTES + keyBytesMax + CHECKSUM_BYTES) return { ok: false, problem: 'malformed' };
  if (token[0] !== VERSION) return { ok: false, problem: 'malformed' };
  const body = token.subarray(0, token.byteLength - CHECKSUM_BYTES);
  if (!sameBytes(digest([body], CHECKSUM_BYTES), token.subarray(body.byteLength))) return { ok: false, problem: 'tampered' };
  if (!sameBytes(fingerprint(range), body.subarray(1, HEADER_BYTES))) return { ok: false, problem: 'another range' };
  return { ok: true, after: body.slice(HEADER_BYTES) };
}
