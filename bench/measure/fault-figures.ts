/**
 * What a fault did to the clients, per operation kind: the unavailability window (the longest
 * stretch after the fault began in which no generator saw a success), how long after the heal
 * service came back, p99 latency while the fault lasted and in the seconds after the heal, and the
 * errors by code in both phases; plus, from the Status polls, the time until a leader of a newer term.
 */
import { addCounts, histogramOfSeconds, type MergedKind, type MergedRun } from './merge.js';
import { longestWithin } from './gaps.js';
import type { LeaderObservation } from './leader-watch.js';
import { latencyOf, round } from './summary.js';

/** The service counts as down at the heal if nothing succeeded for this long before it. */
const downAtHealMs = 100;

export interface FaultTiming {
  readonly name: string;
  readonly description: string;
  readonly affected: readonly number[];
  readonly oldLeader: number;
  readonly oldTerm: number;
  readonly injectedAtMs: number;
  readonly healedAtMs: number;
  readonly afterHealSeconds: number;
}

export interface KindFaultFigures {
  readonly unavailableMs: number;
  /** Seconds since t0 where the longest gap began and ended (clipped to the fault onwards). */
  readonly unavailableFromS: number | null;
  readonly unavailableToS: number | null;
  /** From the heal until the first success after it, when the heal found the service down (nothing succeeded in the 100 ms before). */
  readonly recoveryAfterHealMs: number;
  readonly okDuring: number;
  readonly p99DuringMs: number | null;
  readonly p99AfterHealMs: number | null;
  readonly errorsDuring: Record<string, number>;
  readonly errorsAfterHeal: Record<string, number>;
}

export interface FaultFigures extends Omit<FaultTiming, 'injectedAtMs' | 'healedAtMs'> {
  readonly injectedAtS: number;
  readonly healedAtS: number;
  /** From the injection until a member (the old leader too) reported leadership in a higher term; null if none did. */
  readonly timeToNewLeaderMs: number | null;
  readonly newLeader: number | null;
  readonly write: KindFaultFigures;
  readonly read: KindFaultFigures;
}

function errorsIn(kind: MergedKind, fromSecond: number, toSecond: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = fromSecond; i < Math.min(toSecond, kind.seconds.length); i++) addCounts(out, kind.seconds[i]?.errors ?? {});
  return out;
}

function kindFigures(kind: MergedKind, run: MergedRun, timing: FaultTiming): KindFaultFigures {
  const gap = longestWithin(kind.gaps, timing.injectedAtMs, run.endMs);
  const atHeal = kind.gaps.find(([start, end]) => start <= timing.healedAtMs - downAtHealMs && end > timing.healedAtMs);
  const injectSecond = Math.floor((timing.injectedAtMs - run.t0Ms) / 1000);
  const healSecond = Math.floor((timing.healedAtMs - run.t0Ms) / 1000);
  const afterEnd = healSecond + timing.afterHealSeconds;
  let okDuring = 0;
  for (let i = injectSecond; i < healSecond; i++) okDuring += kind.seconds[i]?.ok ?? 0;
  const since = (ms: number): number => round((ms - run.t0Ms) / 1000, 3);
  return {
    unavailableMs: gap === undefined ? 0 : Math.round(gap[1] - gap[0]),
    unavailableFromS: gap === undefined ? null : since(gap[0]),
    unavailableToS: gap === undefined ? null : since(gap[1]),
    recoveryAfterHealMs: atHeal === undefined ? 0 : Math.round(atHeal[1] - timing.healedAtMs),
    okDuring,
    p99DuringMs: latencyOf(histogramOfSeconds(kind, injectSecond, healSecond))?.p99 ?? null,
    p99AfterHealMs: latencyOf(histogramOfSeconds(kind, healSecond, afterEnd))?.p99 ?? null,
    errorsDuring: errorsIn(kind, injectSecond, healSecond),
    errorsAfterHeal: errorsIn(kind, healSecond, afterEnd),
  };
}

export function faultFigures(run: MergedRun, timing: FaultTiming, observations: readonly LeaderObservation[]): FaultFigures {
  // Any leader of a newer term counts, the old leader re-elected too: an election it wins after a
  // disruption (a returning follower with a higher term) is still an election clients wait for.
  const next = observations.find((o) => o.atMs >= timing.injectedAtMs && o.isLeader && o.term > timing.oldTerm);
  const { injectedAtMs, healedAtMs, ...rest } = timing;
  return {
    ...rest,
    injectedAtS: round((injectedAtMs - run.t0Ms) / 1000, 3),
    healedAtS: round((healedAtMs - run.t0Ms) / 1000, 3),
    timeToNewLeaderMs: next === undefined ? null : Math.round(next.atMs - injectedAtMs),
    newLeader: next?.node ?? null,
    write: kindFigures(run.kinds.write, run, timing),
    read: kindFigures(run.kinds.read, run, timing),
  };
}
