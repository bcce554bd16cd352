/**
 * Range page tokens: where the next page starts (the last key returned), bound to the range it
 * was issued for. A token replayed against another range (other start, end or prefix) would
 * silently continue from a key of that other range, so it is refused; so is one whose bytes were
 * changed (a checksum over the whole token). The checksum is not a signature: a client that forges
 * a token can only choose where in the range it asked for its next page starts, which it could do
 * with `start` anyway. Shared by the server and the SDK, which builds the token of a page it
 * merged from per-group pages itself.
 *
 * A token may also carry the range's key count from its first page, so later pages need not
 * count the whole range again (a scan of n keys in pages of p would count n²/p keys).
 *
 * Layout (version 1): version byte | 8-byte range fingerprint | count flag byte (0: none, 1: an
 * 8-byte count follows) | [count] | last key | 4-byte checksum.
 */
import { createHash } from 'node:crypto';

const VERSION = 1;
const FINGERPRINT_BYTES = 8;
const CHECKSUM_BYTES = 4;
const HEADER_BYTES = 1 + FINGERPRINT_BYTES + 1;
const COUNT_BYTES = 8;

/** A range as the request gives it (RangeRequest start, end, prefix): both sides have these bytes. */
export interface TokenRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly prefix: boolean;
}

export type DecodedToken = { readonly ok: true; readonly after: Uint8Array; readonly count: number | null } | { readonly ok: false; readonly problem: 'malformed' | 'tampered' | 'another range' };

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

/** The token of the page after `lastKey` in `range`, with the range's key count when known. */
export function encodePageToken(range: TokenRange, lastKey: Uint8Array, count: number | null = null): Uint8Array {
  const countBytes = count === null ? 0 : COUNT_BYTES;
  const body = new Uint8Array(HEADER_BYTES + countBytes + lastKey.byteLength);
  body[0] = VERSION;
  body.set(fingerprint(range), 1);
  body[HEADER_BYTES - 1] = count === null ? 0 : 1;
  if (count !== null) new DataView(body.buffer).setBigUint64(HEADER_BYTES, BigInt(count));
  body.set(lastKey, HEADER_BYTES + countBytes);
  const token = new Uint8Array(body.byteLength + CHECKSUM_BYTES);
  token.set(body);
  token.set(digest([body], CHECKSUM_BYTES), body.byteLength);
  return token;
}

/**
 * The key a token continues after (and the count it carries), if it is intact and was issued for
 * `range`. `keyBytesMax` bounds the key it may carry.
 */
export function decodePageToken(token: Uint8Array, range: TokenRange, keyBytesMax: number): DecodedToken {
  const hasCount = token[HEADER_BYTES - 1] === 1;
  const keyAt = HEADER_BYTES + (hasCount ? COUNT_BYTES : 0);
  if (token.byteLength <= keyAt + CHECKSUM_BYTES || token.byteLength > keyAt + keyBytesMax + CHECKSUM_BYTES) return { ok: false, problem: 'malformed' };
  if (token[0] !== VERSION || (token[HEADER_BYTES - 1] ?? 2) > 1) return { ok: false, problem: 'malformed' };
  const body = token.subarray(0, token.byteLength - CHECKSUM_BYTES);
  if (!sameBytes(digest([body], CHECKSUM_BYTES), token.subarray(body.byteLength))) return { ok: false, problem: 'tampered' };
  if (!sameBytes(fingerprint(range), body.subarray(1, 1 + FINGERPRINT_BYTES))) return { ok: false, problem: 'another range' };
  const count = hasCount ? new DataView(body.buffer, body.byteOffset).getBigUint64(HEADER_BYTES) : null;
  if (count !== null && count > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, problem: 'malformed' };
  return { ok: true, after: body.slice(keyAt), count: count === null ? null : Number(count) };
}
