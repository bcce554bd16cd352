/**
 * The space quota (etcd's `--quota-backend-bytes`): when the node's database uses `quotaBytes` or
 * more, raise a node-wide NOSPACE alarm, so writes that add data are refused before the disk
 * fills (write-admission.ts). Measured every `QUOTA_CHECK_INTERVAL_MS` and before each write is
 * admitted: a measurement costs about 45 µs (three pragmas), so admission reuses one for up to
 * `MEASURE_AGE_MS_MAX` and adds the bytes of the writes it admitted since, which keeps a burst of
 * fast writes from slipping past the quota between measurements.
 *
 * The alarm stays until an operator disarms it (`kvctl alarm disarm`), as in etcd: disarming
 * while still over the quota only lets the next check raise it again.
 */
import type { Logger } from '../shared/logger.js';
import type { Alarm, Alarms } from './alarms.js';

export const QUOTA_CHECK_INTERVAL_MS = 1_000;
/** A measurement younger than this is reused when admitting a write. */
const MEASURE_AGE_MS_MAX = 100;

export interface SpaceQuotaOptions {
  /** 0: no quota. */
  readonly quotaBytes: number;
  /** Bytes the database uses now (StorageDatabase.usedBytes). */
  readonly usedBytes: () => number;
  readonly alarms: Alarms;
  readonly log: Logger;
  readonly nowMs?: () => number;
}

export class SpaceQuota {
  private measured = { bytes: 0, atMs: Number.NEGATIVE_INFINITY };

  constructor(private readonly options: SpaceQuotaOptions) {}

  get quotaBytes(): number {
    return this.options.quotaBytes;
  }

  /** Bytes the database uses: measured at most `MEASURE_AGE_MS_MAX` ago, plus the writes admitted since. */
  usedBytes(): number {
    const now = this.now();
    if (now - this.measured.atMs >= MEASURE_AGE_MS_MAX) this.measured = { bytes: this.options.usedBytes(), atMs: now };
    return this.measured.bytes;
  }

  /** The periodic check: raises NOSPACE once the database uses the quota or more. */
  check(): void {
    if (this.options.quotaBytes === 0) return;
    this.measured.atMs = Number.NEGATIVE_INFINITY;
    const used = this.usedBytes();
    if (used >= this.options.quotaBytes) this.raise(`the database uses ${used} bytes, at or over its quota of ${this.options.quotaBytes} bytes (--quota-bytes)`);
  }

  /**
   * Before admitting a write that adds `costBytes`: raises NOSPACE (and returns it) if the write
   * would take the database to its quota or past it, as etcd does; undefined when it fits.
   */
  admit(costBytes: number): Alarm | undefined {
    const quota = this.options.quotaBytes;
    if (quota === 0) return undefined;
    const used = this.usedBytes();
    if (used + costBytes < quota) {
      this.measured.bytes += costBytes;
      return undefined;
    }
    this.raise(`the database uses ${used} bytes, and a write of ${costBytes} bytes would reach its quota of ${quota} bytes (--quota-bytes)`);
    return this.options.alarms.active('NOSPACE');
  }

  private raise(reason: string): void {
    const raised = this.options.alarms.raise({ kind: 'NOSPACE', reason, raisedAtMs: Date.now() });
    if (raised) this.options.log.error({ reason }, 'space quota reached: NOSPACE alarm raised, writes that add data are refused');
  }

  private now(): number {
    return this.options.nowMs?.() ?? performance.now();
  }
}
