/**
 * Zipfian ranks over [0, n) with exponent theta (YCSB's default 0.99), by the closed-form method of
 * Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD 1994): one uniform
 * draw per sample after an O(n) setup. Rank 0 is the most popular; `scrambled` spreads popular
 * ranks over the key space with a hash, so the hot keys are not neighbours.
 */
import type { Rng } from '../../src/shared/rng.js';

export const zipfianThetaDefault = 0.99;

export class Zipfian {
  private readonly zetaN: number;
  private readonly alpha: number;
  private readonly eta: number;
  private readonly halfPowTheta: number;

  constructor(private readonly n: number, theta = zipfianThetaDefault) {
    if (!(Number.isSafeInteger(n) && n >= 2)) throw new Error(`Zipfian needs at least 2 items, got ${n}`);
    if (!(theta > 0 && theta < 1)) throw new Error(`Zipfian theta must be in (0, 1), got ${theta}`);
    this.zetaN = zeta(n, theta);
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / n, 1 - theta)) / (1 - zeta(2, theta) / this.zetaN);
    this.halfPowTheta = Math.pow(0.5, theta);
  }

  /** A rank in [0, n); small ranks are the frequent ones. */
  rank(rng: Rng): number {
    const u = rng.nextFloat();
    const uz = u * this.zetaN;
    if (uz < 1) return 0;
    if (uz < 1 + this.halfPowTheta) return 1;
    const rank = Math.floor(this.n * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return Math.min(this.n - 1, rank);
  }

  /** A key index in [0, n) whose popularity follows the zipfian rank, spread by a hash. */
  scrambled(rng: Rng): number {
    return fnv1a32(this.rank(rng)) % this.n;
  }
}

function zeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / Math.pow(i, theta);
  return sum;
}

/** FNV-1a over the four bytes of a 32-bit integer. */
function fnv1a32(value: number): number {
  let hash = 0x811c9dc5;
  for (let shift = 0; shift < 32; shift += 8) {
    hash ^= (value >>> shift) & 0xff;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
