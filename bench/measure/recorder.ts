/**
 * What one generator process measures, per operation kind: an HDR histogram of latencies inside
 * the measured window (warm-up excluded), one histogram, success count and error counts per second
 * of the whole run (for the timeline and the fault windows), and the gaps between successes. Latency
 * is in microseconds from the operation's intended start (open loop) or its actual start (closed
 * loop, where the two are the same). Serialized as JSON so several processes can be merged.
 */
import hdr from 'hdr-histogram-js';
import type { OpKind } from '../load/workload.js';
import { GapTracker, type Interval } from './gaps.js';

type Histogram = ReturnType<typeof hdr.build>;

/** Longest latency a histogram tracks exactly: two minutes, in microseconds. */
const latencyUsMax = 120_000_000;

export function newHistogram(digits: 2 | 3 = 3): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: latencyUsMax, numberOfSignificantValueDigits: digits });
}

export interface SecondData {
  readonly ok: number;
  readonly errors: Record<string, number>;
  /** Compressed base64 histogram; empty when nothing succeeded that second. */
  readonly hist: string;
}

export interface KindData {
  readonly okMeasured: number;
  readonly errorsMeasured: Record<string, number>;
  readonly hist: string;
  /** Index: whole seconds since the run's t0. */
  readonly seconds: SecondData[];
  readonly gaps: Interval[];
}

export interface RecorderData {
  readonly t0Ms: number;
  readonly measureFromMs: number;
  readonly measureToMs: number;
  readonly endMs: number;
  readonly kinds: Record<OpKind, KindData>;
}

interface SecondBucket {
  ok: number;
  errors: Record<string, number>;
  hist: Histogram | undefined;
}

class KindRecorder {
  readonly hist = newHistogram(3);
  readonly seconds: SecondBucket[] = [];
  readonly gaps: GapTracker;
  okMeasured = 0;
  readonly errorsMeasured: Record<string, number> = {};

  constructor(private readonly t0Ms: number) {
    this.gaps = new GapTracker(t0Ms);
  }

  bucket(atMs: number): SecondBucket {
    const index = Math.max(0, Math.floor((atMs - this.t0Ms) / 1000));
    while (this.seconds.length <= index) this.seconds.push({ ok: 0, errors: {}, hist: undefined });
    return this.seconds[index] as SecondBucket;
  }

  serialize(endMs: number): KindData {
    const seconds = this.seconds.map((s): SecondData => ({
      ok: s.ok, errors: s.errors, hist: s.hist === undefined ? '' : hdr.encodeIntoCompressedBase64(s.hist),
    }));
    return {
      okMeasured: this.okMeasured, errorsMeasured: this.errorsMeasured, hist: hdr.encodeIntoCompressedBase64(this.hist),
      seconds, gaps: this.gaps.finish(endMs),
    };
  }
}

export class Recorder {
  private readonly kinds: Record<OpKind, KindRecorder>;

  constructor(readonly t0Ms: number, readonly measureFromMs: number, readonly measureToMs: number) {
    this.kinds = { write: new KindRecorder(t0Ms), read: new KindRecorder(t0Ms) };
  }

  ok(kind: OpKind, startMs: number, endMs: number): void {
    const k = this.kinds[kind];
    const us = Math.max(1, Math.min(latencyUsMax, Math.round((endMs - startMs) * 1000)));
    const bucket = k.bucket(endMs);
    bucket.ok++;
    bucket.hist ??= newHistogram(2);
    bucket.hist.recordValue(us);
    k.gaps.ok(endMs);
    if (endMs >= this.measureFromMs && endMs <= this.measureToMs) {
      k.okMeasured++;
      k.hist.recordValue(us);
    }
  }

  error(kind: OpKind, code: string, endMs: number): void {
    const k = this.kinds[kind];
    const bucket = k.bucket(endMs);
    bucket.errors[code] = (bucket.errors[code] ?? 0) + 1;
    if (endMs >= this.measureFromMs && endMs <= this.measureToMs) k.errorsMeasured[code] = (k.errorsMeasured[code] ?? 0) + 1;
  }

  /** Successes and errors of both kinds in the second that contains `atMs` (for progress). */
  secondTotals(atMs: number): { ok: number; errors: number } {
    let ok = 0;
    let errors = 0;
    for (const k of Object.values(this.kinds)) {
      const bucket = k.seconds[Math.floor((atMs - this.t0Ms) / 1000)];
      ok += bucket?.ok ?? 0;
      errors += Object.values(bucket?.errors ?? {}).reduce((a, b) => a + b, 0);
    }
    return { ok, errors };
  }

  serialize(endMs: number): RecorderData {
    return {
      t0Ms: this.t0Ms, measureFromMs: this.measureFromMs, measureToMs: this.measureToMs, endMs,
      kinds: { write: this.kinds.write.serialize(endMs), read: this.kinds.read.serialize(endMs) },
    };
  }
}
