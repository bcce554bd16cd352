// Records what test clients did as a history in the shared format (/work/shared/HISTORY.md), so
// the linearizability checker in test/jepsen/checker/ can judge it. Times come from one monotonic
// clock (process.hrtime) shared by every client of the test process. Also decides, from an error,
// whether an operation certainly did not happen (`fail`) or may have (`info`): only a refusal the
// server itself explained, or a request that never left this process, is certain.
import { KvError } from '../../src/shared/errors.js';
import type { OpFunction, Outcome } from '../jepsen/checker/history.js';

/**
 * Codes that prove a write was never applied, when the server itself sent them (kv-* trailers).
 * WRONG_SHARD: the node hosts no replica of the key's group (or, after a split, its group no longer
 * owns the key), so nothing was proposed, or the proposal was refused when applied.
 */
const certainFailures: ReadonlySet<string> = new Set(['NOT_LEADER', 'NO_LEADER', 'OVERLOADED', 'INVALID_ARGUMENT', 'WRONG_SHARD']);
/** gRPC UNAVAILABLE; grpc-js fails a call with "No connection established" before sending it. */
const grpcUnavailable = 14;

export interface HistoryLine {
  readonly process: number;
  readonly type: 'invoke' | Outcome;
  readonly f: OpFunction;
  readonly key: string;
  readonly value?: string | null;
  readonly expected?: string | null;
  readonly cas_ok?: boolean;
  readonly error?: string;
  readonly time: number;
}

/** Nanoseconds on the clock every history of this process shares. */
export const nowNs = (): number => Number(process.hrtime.bigint());

export class HistoryRecorder {
  private readonly events: HistoryLine[] = [];
  private processes = 0;

  /** A fresh process id (a process that saw `info` must take a new one). */
  newProcess(): number {
    return this.processes++;
  }

  invoke(process: number, f: OpFunction, key: string, value: string | null, expected?: string | null): number {
    const time = nowNs();
    this.events.push({ process, type: 'invoke', f, key, value, ...(expected === undefined ? {} : { expected }), time });
    return time;
  }

  complete(process: number, type: Outcome, f: OpFunction, key: string, extra: { value?: string | null; error?: string; casOk?: boolean } = {}): number {
    const time = nowNs();
    const { casOk, ...rest } = extra;
    this.events.push({ process, type, f, key, ...rest, ...(casOk === undefined ? {} : { cas_ok: casOk }), time });
    return time;
  }

  get lines(): readonly HistoryLine[] {
    return this.events;
  }

  jsonl(): string {
    return this.events.map((event) => JSON.stringify(event)).join('\n') + '\n';
  }
}

/** True when the server judged and refused the request, or it never left this process. */
export function isCertainRefusal(error: unknown): boolean {
  if (!(error instanceof KvError)) return false;
  const extra = error as KvError & { readonly fromServer?: boolean; readonly neverSent?: boolean; readonly grpcCode?: number };
  if (extra.neverSent === true) return true;
  if (extra.grpcCode === grpcUnavailable && error.details.group === undefined && error.message.startsWith('No connection established')) return true;
  if (!certainFailures.has(error.code)) return false;
  // Older stubs do not say fromServer; these trailers are only ever set by a server.
  return extra.fromServer === true || error.details.group !== undefined || error.details.field !== undefined;
}

/** How a failed write completes: `fail` only when it certainly did not apply, else `info`. */
export function writeOutcome(error: unknown): Outcome {
  return isCertainRefusal(error) ? 'fail' : 'info';
}

export function errorText(error: unknown): string {
  return error instanceof KvError ? `${error.code}: ${error.message}` : String(error);
}
