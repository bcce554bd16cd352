// Records what integration-test clients did as a history in the shared format
// (/work/shared/HISTORY.md), so the Jepsen checker in test/jepsen/checker/ can judge it. Times come
// from one monotonic clock (process.hrtime) shared by every client of the test.
import { KvError } from '../../src/shared/errors.js';
import type { OpFunction, Outcome } from '../jepsen/checker/history.js';

/** Codes that prove a write was never applied: it was refused before, or instead of, being proposed. */
const certainFailures: ReadonlySet<string> = new Set(['NOT_LEADER', 'NO_LEADER', 'OVERLOADED', 'INVALID_ARGUMENT']);

export class HistoryRecorder {
  private readonly lines: string[] = [];
  private processes = 0;

  /** A fresh process id (a process that saw `info` must take a new one). */
  newProcess(): number {
    return this.processes++;
  }

  invoke(process: number, f: OpFunction, key: string, value: string | null): void {
    this.push({ process, type: 'invoke', f, key, value });
  }

  complete(process: number, type: Outcome, f: OpFunction, key: string, extra: { value?: string | null; error?: string } = {}): void {
    this.push({ process, type, f, key, ...extra });
  }

  jsonl(): string {
    return this.lines.join('\n') + '\n';
  }

  private push(event: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ ...event, time: Number(process.hrtime.bigint()) }));
  }
}

/** How a failed write completes: `fail` only when it certainly did not apply, else `info`. */
export function writeOutcome(error: unknown): Outcome {
  return error instanceof KvError && certainFailures.has(error.code) ? 'fail' : 'info';
}

export function errorText(error: unknown): string {
  return error instanceof KvError ? `${error.code}: ${error.message}` : String(error);
}
