/**
 * Goal: what a multi-group run is given (options, seeded Rng, the core factory, injected faults)
 * and what it reports (events, virtual time, the violation if any, stats, the trace tail).
 */
import type { SeededRng } from '../../../src/shared/rng.js';
import type { NodeFactory } from '../core.js';
import type { ReportedViolation } from './group-checkers.js';
import type { MultiFaults, MultiOptions } from './multi-options.js';

export interface MultiSetup {
  readonly options: MultiOptions;
  readonly rng: SeededRng;
  readonly createNode: NodeFactory;
  readonly faults: MultiFaults;
  /** Ownership checks off: only the per-group checkers and the history check judge the run. */
  readonly historyOnly: boolean;
  readonly print: ((line: string) => void) | undefined;
}

export interface MultiReport {
  readonly events: number;
  readonly virtualMs: number;
  readonly violation: ReportedViolation | null;
  readonly stats: Readonly<Record<string, number>>;
  readonly trace: readonly string[];
}
