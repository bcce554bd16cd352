/**
 * A small binary writer and reader for commands, results and snapshot records. Integers are
 * non-negative safe integers written as LEB128 varints (at most 8 bytes for 53 bits); byte strings
 * and text carry a varint length. Arithmetic avoids bit operators, which truncate to 32 bits.
 */
import { assert } from '../shared/assert.js';

/** Malformed input. Callers decoding untrusted bytes turn it into a KvError value. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });
const varintBytesMax = 8;

/**
 * Writes into one buffer that grows by doubling. Every proposed command goes through here, so it
 * is kept cheap (a put took ~3 µs to encode, now ~0.5): the buffer comes from Node's pool, since
 * a Uint8Array over 64 bytes is an allocation of its own that costs 0.4–2 µs with the garbage
 * collection it brings; callers pass the expected size so it does not grow; the result is a view,
 * not a copy; and the checks build their message only when they fail (a template string per byte
 * written cost more than the writing). The view may share a pool slab (8 KiB) with other
 * small buffers: a holder that keeps it long copies it (recent-entries.ts does).
 */
export class BytesWriter {
  private buffer: Buffer;
  private length = 0;

  /** `initialBytes`: the expected size; a writer sized right never grows. */
  constructor(initialBytes = 64) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get byteLength(): number {
    return this.length;
  }

  u8(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xff, () => `Byte out of range: ${value}`);
    this.reserve(1);
    this.buffer[this.length] = value;
    this.length += 1;
    return this;
  }

  bool(value: boolean): this {
    return this.u8(value ? 1 : 0);
  }

  /** Fixed 4-byte big-endian integer, for record framing where the length must be known up front. */
  u32(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff, () => `u32 out of range: ${value}`);
    this.reserve(4);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  uint(value: number): this {
    assert(Number.isSafeInteger(value) && value >= 0, () => `Varint must be a safe non-negative integer: ${value}`);
    let bytes = 1;
    for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
    this.reserve(bytes);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) + 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.uint(value.byteLength);
    return this.raw(value);
  }

  string(value: string): this {
    const bytes = Buffer.byteLength(value, 'utf8'); // what TextEncoder writes, without encoding twice
    this.uint(bytes);
    this.reserve(bytes);
    this.length += this.buffer.write(value, this.length, bytes, 'utf8');
    return this;
  }

  raw(value: Uint8Array): this {
    this.reserve(value.byteLength);
    this.buffer.set(value, this.length);
    this.length += value.byteLength;
    return this;
  }

  /** The bytes written, a view of the writer's buffer: the writer must not be used after. */
  finish(): Uint8Array {
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.byteLength) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.byteLength * 2, this.length + extra));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
}

export class BytesReader {
  private offset = 0;

  constructor(private readonly data: Uint8Array) {}

  get remaining(): number {
    return this.data.byteLength - this.offset;
  }

  u8(): number {
    const value = this.data[this.offset];
    if (value === undefined) throw new CodecError(`Unexpected end of input at byte ${this.offset}`);
    this.offset += 1;
    return value;
  }

  bool(): boolean {
    const value = this.u8();
    if (value > 1) throw new CodecError(`Invalid boolean byte ${value} at byte ${this.offset - 1}`);
    return value === 1;
  }

  u32(): number {
    this.need(4);
    const value = new DataView(this.data.buffer, this.data.byteOffset).getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < varintBytesMax; i++) {
      const byte = this.u8();
      value += (byte % 0x80) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) throw new CodecError(`Varint past 2^53 at byte ${this.offset}`);
        return value;
      }
      scale *= 0x80;
    }
    throw new CodecError(`Varint longer than ${varintBytesMax} bytes at byte ${this.offset}`);
  }

  /** A copy, so the result never pins (or sees reuse of) a larger read buffer. */
  bytes(): Uint8Array {
    return this.view().slice();
  }

  /**
   * Like `bytes()` but a view into the input, without a copy: for values used only while the
   * input is held anyway (a command being applied), never for values kept longer.
   */
  view(): Uint8Array {
    const length = this.uint();
    this.need(length);
    const value = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(): string {
    const raw = this.view(); // decode() copies into the string: no need to copy the bytes first
    try {
      return textDecoder.decode(raw);
    } catch {
      throw new CodecError(`Invalid UTF-8 text before byte ${this.offset}`);
    }
  }

  expectEnd(): void {
    if (this.remaining !== 0) throw new CodecError(`${this.remaining} trailing bytes after byte ${this.offset}`);
  }

  private need(length: number): void {
    if (this.remaining < length) {
      throw new CodecError(`Need ${length} bytes at byte ${this.offset}, only ${this.remaining} left`);
    }
  }
}

/** Runs a decoder over bytes this node wrote itself: malformed input there is a broken invariant. */
export function decodeTrusted<T>(what: string, data: Uint8Array, decode: (reader: BytesReader) => T): T {
  const reader = new BytesReader(data);
  try {
    const value = decode(reader);
    reader.expectEnd();
    return value;
  } catch (error) {
    assert(!(error instanceof CodecError), `Cannot decode stored ${what}: ${String(error)}`);
    throw error;
  }
}
