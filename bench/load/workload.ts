/**
 * What each client asks for next: the operation mix of a workload, keys drawn uniformly or
 * zipfian from a fixed key space, and values from a small pool of seeded random buffers (random so
 * that neither side can profit from compressible data, pooled so the generator does not spend its
 * CPU making bytes). Every client has its own seeded stream, so a run's request sequence repeats.
 */
import { SeededRng } from '../../src/shared/rng.js';
import type { ReadConsistency } from '../client/adapter.js';
import { Zipfian } from './zipfian.js';

export const workloadNames = ['write', 'read-linearizable', 'read-serializable', 'ycsb-a', 'ycsb-b', 'mixed'] as const;
export type WorkloadName = (typeof workloadNames)[number];
export type Distribution = 'uniform' | 'zipfian';
export type OpKind = 'write' | 'read';

export interface WorkloadSpec {
  readonly name: WorkloadName;
  readonly keys: number;
  readonly distribution: Distribution;
  readonly valueBytes: number;
  readonly seed: number;
}

export interface Op {
  readonly kind: OpKind;
  readonly key: Uint8Array;
  readonly consistency: ReadConsistency;
}

/** Values cycled through by each client. */
const valuePoolSize = 64;

/** Fraction of operations that are writes; `mixed` splits by client instead (see `OpSource`). */
function writeFraction(name: WorkloadName): number {
  switch (name) {
    case 'write': return 1;
    case 'read-linearizable': case 'read-serializable': return 0;
    case 'ycsb-a': return 0.5;
    case 'ycsb-b': return 0.05;
    case 'mixed': return 0.5;
  }
}

export function readsNeedPreload(name: WorkloadName): boolean {
  return writeFraction(name) < 1;
}

export function keyBytes(index: number): Uint8Array {
  return Buffer.from(`bench/${String(index).padStart(9, '0')}`);
}

const keyCache = new Map<number, readonly Uint8Array[]>();

function keySpace(keys: number): readonly Uint8Array[] {
  let cached = keyCache.get(keys);
  if (cached === undefined) {
    cached = Array.from({ length: keys }, (_, i) => keyBytes(i));
    keyCache.set(keys, cached);
  }
  return cached;
}

/**
 * The operations of one client. In `mixed`, even clients only write and odd clients only read
 * (linearizable), so the fault runs see writes and reads stall or recover independently.
 */
export class OpSource {
  private readonly rng: SeededRng;
  private readonly keys: readonly Uint8Array[];
  private readonly zipfian: Zipfian | undefined;
  private readonly values: Uint8Array[];
  private nextValue = 0;

  constructor(private readonly spec: WorkloadSpec, private readonly client: number, zipfian?: Zipfian) {
    this.rng = new SeededRng(spec.seed * 100_003 + client);
    this.keys = keySpace(spec.keys);
    this.zipfian = spec.distribution === 'zipfian' ? (zipfian ?? new Zipfian(spec.keys)) : undefined;
    this.values = Array.from({ length: valuePoolSize }, () => this.randomValue());
  }

  next(sequence: number): Op {
    const key = this.keys[this.keyIndex()] ?? this.keys[0] ?? keyBytes(0);
    const consistency: ReadConsistency = this.spec.name === 'read-serializable' ? 'serializable' : 'linearizable';
    return { kind: this.isWrite(sequence) ? 'write' : 'read', key, consistency };
  }

  value(): Uint8Array {
    const value = this.values[this.nextValue] ?? new Uint8Array(this.spec.valueBytes);
    this.nextValue = (this.nextValue + 1) % this.values.length;
    return value;
  }

  private isWrite(sequence: number): boolean {
    if (this.spec.name !== 'mixed') return this.rng.nextFloat() < writeFraction(this.spec.name);
    // Closed loop: the client's parity; open loop (one source, many requests): the request's.
    return (this.client >= 0 ? this.client : sequence) % 2 === 0;
  }

  private keyIndex(): number {
    return this.zipfian === undefined ? this.rng.nextInt(this.spec.keys) : this.zipfian.scrambled(this.rng);
  }

  private randomValue(): Uint8Array {
    const bytes = new Uint8Array(this.spec.valueBytes);
    for (let i = 0; i < bytes.length; i++) bytes[i] = this.rng.nextInt(256);
    return bytes;
  }
}
