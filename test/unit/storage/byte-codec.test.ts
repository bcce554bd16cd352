/**
 * The writer's bytes are what replicas store and decode: they must not depend on how it allocates
 * (pooled buffer, growth from a small start) or on how it encodes text (Buffer.write, not
 * TextEncoder): the same UTF-8, lone surrogates included, that TextEncoder gives.
 */
import { describe, expect, it } from 'vitest';
import { BytesReader, BytesWriter } from '../../../src/storage/byte-codec.js';

const lengthPrefixed = (bytes: Uint8Array): number[] => [bytes.byteLength, ...bytes];

describe('BytesWriter', () => {
  it.each(['client-é€', 'plain', '', 'lone \ud800 surrogate', '😀'])('writes %j as TextEncoder would, length first', (text) => {
    const written = new BytesWriter(2).string(text).finish();
    expect([...written]).toEqual(lengthPrefixed(new TextEncoder().encode(text)));
    expect(new BytesReader(written).string()).toBe(new TextDecoder().decode(new TextEncoder().encode(text)));
  });

  it('gives the same bytes whatever its starting size, and a plain Uint8Array of exactly them', () => {
    const value = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    const write = (initial: number): Uint8Array => new BytesWriter(initial).u8(7).uint(2 ** 40).bytes(value).bool(true).u32(0xdead_beef).finish();
    const small = write(1);
    const exact = write(1 + 6 + 2 + 300 + 1 + 4);
    expect(Object.getPrototypeOf(small)).toBe(Uint8Array.prototype);
    expect(small.byteLength).toBe(314);
    expect([...small]).toEqual([...exact]);
    expect([...write(4096)]).toEqual([...small]);
  });

  it('refuses values a field cannot hold, naming them', () => {
    expect(() => new BytesWriter().u8(256)).toThrow('Byte out of range: 256');
    expect(() => new BytesWriter().uint(-1)).toThrow('Varint must be a safe non-negative integer: -1');
    expect(() => new BytesWriter().u32(2 ** 32)).toThrow('u32 out of range: 4294967296');
  });
});
