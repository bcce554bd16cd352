// Goal: a page token round-trips its position for the range it was issued for, and is refused,
// never reinterpreted, for another range, after any change to its bytes, or when malformed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePageToken, encodePageToken, type TokenRange } from '../../../src/shard/page-token.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s));
const KEY_BYTES_MAX = 4096;
const users: TokenRange = { start: b('users/'), end: new Uint8Array(0), prefix: true };

describe('page tokens', () => {
  it('decodePageToken() returns the last key of the page for the same range', () => {
    const token = encodePageToken(users, b('users/42'));
    expect(decodePageToken(token, { ...users }, KEY_BYTES_MAX)).toEqual({ ok: true, after: b('users/42'), count: null });
  });

  it('decodePageToken() returns the count a token carries', () => {
    expect(decodePageToken(encodePageToken(users, b('users/42'), 12_345), users, KEY_BYTES_MAX)).toEqual({ ok: true, after: b('users/42'), count: 12_345 });
  });

  it.each<[string, TokenRange]>([
    ['another prefix', { start: b('logs/'), end: new Uint8Array(0), prefix: true }],
    ['the same start without prefix', { start: b('users/'), end: new Uint8Array(0), prefix: false }],
    ['an end added', { start: b('users/'), end: b('users/9'), prefix: false }],
    ['bytes moved from start to end', { start: b('users'), end: b('/'), prefix: true }],
  ])('decodePageToken() refuses a token of %s', (_, other) => {
    expect(decodePageToken(encodePageToken(users, b('users/42')), other, KEY_BYTES_MAX)).toEqual({ ok: false, problem: 'another range' });
  });

  it.each([null, 77])('decodePageToken() refuses a token (count %s) with any one byte changed', (count) => {
    const token = encodePageToken(users, b('users/42'), count);
    fc.assert(fc.property(fc.nat(token.byteLength - 1), fc.integer({ min: 1, max: 255 }), (at, delta) => {
      const changed = token.slice();
      changed[at] = ((changed[at] ?? 0) + delta) % 256;
      expect(decodePageToken(changed, users, KEY_BYTES_MAX).ok).toBe(false);
    }), { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 300) });
  });

  it.each<[string, Uint8Array]>([
    ['a raw key (the old format)', b('users/42')],
    ['a truncated token', encodePageToken(users, b('users/42')).subarray(0, 12)],
    ['a token over the key bound', encodePageToken(users, new Uint8Array(KEY_BYTES_MAX + 1).fill(97))],
  ])('decodePageToken() refuses %s', (_, token) => {
    expect(decodePageToken(token, users, KEY_BYTES_MAX).ok).toBe(false);
  });

  it('round-trips any key for any range', () => {
    const bytes = fc.uint8Array({ maxLength: 40 });
    const counts = fc.option(fc.nat(Number.MAX_SAFE_INTEGER), { nil: null });
    fc.assert(fc.property(bytes, bytes, fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 40 }), counts, (start, end, prefix, key, count) => {
      const range = { start, end, prefix };
      expect(decodePageToken(encodePageToken(range, key, count), range, KEY_BYTES_MAX)).toEqual({ ok: true, after: key, count });
    }), { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 300) });
  });
});
