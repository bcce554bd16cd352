/**
 * Rate-limited warnings and errors. A peer that sends garbage, or a queue that stays full, would otherwise
 * write a line per message; instead each key (peer and kind of problem) logs at most once per
 * interval, and the next line reports how many were held back as `suppressed`.
 */
import type { TransportLogger } from './peer-transport.js';

interface KeyState {
  lastMs: number;
  suppressed: number;
}

/** Distinct keys remembered; keys are per peer and kind, so this is only a guard against misuse. */
const KEYS_MAX = 4096;

export class WarnLimiter {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly logger: TransportLogger,
    private readonly intervalMs: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  warn(key: string, fields: Readonly<Record<string, unknown>>, message: string): void {
    this.emit('warn', key, fields, message);
  }

  /** For problems a human must fix (misconfiguration), which would otherwise repeat per retry. */
  error(key: string, fields: Readonly<Record<string, unknown>>, message: string): void {
    this.emit('error', key, fields, message);
  }

  private emit(level: 'warn' | 'error', key: string, fields: Readonly<Record<string, unknown>>, message: string): void {
    const now = this.nowMs();
    const state = this.keys.get(key);
    if (state !== undefined && now - state.lastMs < this.intervalMs) {
      state.suppressed += 1;
      return;
    }
    if (state === undefined && this.keys.size >= KEYS_MAX) this.keys.clear();
    this.logger[level]({ ...fields, suppressed: state?.suppressed ?? 0 }, message);
    this.keys.set(key, { lastMs: now, suppressed: 0 });
  }
}
