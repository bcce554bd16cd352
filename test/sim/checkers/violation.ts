/**
 * Goal: one error type for every property the simulator checks, naming the checker that fired so
 * tests can assert which property a bug breaks. Thrown, never returned: a broken invariant ends
 * the run at the event that broke it, and the cluster turns it into a replayable report.
 */
export type CheckerName =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'committed-entries'
  | 'commit-quorum'
  | 'log-truncation'
  | 'state-machine-safety'
  | 'linearizable-reads'
  | 'durable-state'
  | 'snapshot'
  | 'membership'
  | 'liveness'
  | 'exception'
  // Multi-group simulator (test/sim/multi/):
  | 'ownership'
  | 'linearizability'
  | 'gc-safety';

export class SafetyViolation extends Error {
  override readonly name = 'SafetyViolation';

  constructor(
    readonly checker: CheckerName,
    message: string,
  ) {
    super(message);
  }
}
