// Which refusals a sharded client may try again: those that prove the request had no effect
// (history-recorder.ts isCertainRefusal) and that another attempt can get past. Shared by the
// routing clients (../workloads/shard-router.ts) and the shard map changes (shard-faults.ts).
import { KvError } from '../../../src/shared/errors.js';
import { isCertainRefusal } from '../../support/history-recorder.js';

export type Refusal = 'not-leader' | 'wrong-shard' | 'no-leader' | 'overloaded' | 'never-sent';

/** Which retryable refusal `error` is, or undefined when the operation must end with it. */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof KvError) || !isCertainRefusal(error)) return undefined;
  const extra = error as KvError & { readonly neverSent?: boolean };
  if (extra.neverSent === true || error.message.startsWith('No connection established')) return 'never-sent';
  if (error.code === 'NOT_LEADER') return 'not-leader';
  if (error.code === 'NO_LEADER') return 'no-leader';
  if (error.code === 'OVERLOADED') return 'overloaded';
  if (error.code === 'WRONG_SHARD' && error.details.group !== undefined) return 'wrong-shard';
  return undefined;
}
