/** The JSON shape of one scenario run on one target (results.json holds a list of these). */
import type { TargetName } from '../client/protocols.js';
import type { FaultFigures } from '../measure/fault-figures.js';
import type { KindSummary, ServerUsage, TimelinePoint } from '../measure/summary.js';
import type { ProfileSummary } from '../tools/cpuprofile-top.js';
import type { Scenario } from './catalog.js';

export interface GeneratorUsage {
  readonly processes: number;
  readonly cpuSeconds: number;
  /** Percent of one core over the measured window, all generator processes together. */
  readonly cpuPct: number;
  readonly cpuUsPerOp: number | null;
}

export interface LeaderEvent {
  readonly atS: number;
  readonly node: number;
  readonly state: 'leader' | 'follower' | 'unreachable';
  readonly term: number;
}

export interface ScenarioResult {
  readonly ok: true;
  readonly scenario: Scenario;
  readonly target: TargetName;
  /** Which round of a --repeat run (1-based). */
  readonly round: number;
  /** Open loop: the offered rate, ops/s. */
  readonly offeredRate: number | null;
  readonly measuredSeconds: number;
  readonly opsPerSec: number;
  readonly write: KindSummary;
  readonly read: KindSummary;
  readonly servers: readonly ServerUsage[];
  readonly serverCpuSeconds: number;
  /** All members' CPU time divided by successful operations, microseconds. */
  readonly serverCpuUsPerOp: number | null;
  readonly generator: GeneratorUsage;
  /**
   * CPU used by everything else on the machine during the measured window (the driver process,
   * other people's jobs), percent of one core. A large value means the run was disturbed.
   */
  readonly otherCpuPct: number;
  readonly timeline: readonly TimelinePoint[];
  readonly leaderAtStart: number;
  /** Terms with a new leader after the start (0 in a healthy steady run). */
  readonly elections: number;
  readonly leaderEvents: readonly LeaderEvent[];
  readonly fault: FaultFigures | null;
  /** Server exits the benchmark did not cause. */
  readonly serverFailures: readonly string[];
  readonly profile: ProfileSummary | null;
  readonly logDir: string;
}

export interface ScenarioFailure {
  readonly ok: false;
  readonly scenario: Scenario;
  readonly target: TargetName;
  readonly round: number;
  readonly error: string;
}

export type ScenarioOutcome = ScenarioResult | ScenarioFailure;
