/**
 * A small seeded PRNG (sfc32, a well-studied 128-bit-state generator). Everything random in the
 * core and the simulator draws from one of these, so a run replays exactly from its seed.
 */
import { assert } from './assert.js';

export interface Rng {
  /** Uniform integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
  /** Uniform float in [0, 1). */
  nextFloat(): number;
}

export class SeededRng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    assert(Number.isSafeInteger(seed), `Seed must be a safe integer, got ${seed}`);
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
    for (let i = 0; i < 16; i++) this.next32(); // Warm up: early outputs of sfc32 correlate with the seed.
  }

  private next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  nextFloat(): number {
    return this.next32() / 0x1_0000_0000;
  }

  nextInt(maxExclusive: number): number {
    assert(Number.isSafeInteger(maxExclusive) && maxExclusive > 0, `Bad bound ${maxExclusive}`);
    return Math.floor(this.nextFloat() * maxExclusive);
  }

  /** A derived generator, so adding draws in one place does not shift every other stream. */
  fork(): SeededRng {
    return new SeededRng(this.next32() * 0x1_0000 + (this.next32() & 0xffff));
  }
}
