/**
 * Goal: the single-group safety checkers, one CheckerSuite per group (children of splits get
 * theirs when first seen), with every violation naming its group. Method: the cluster reports
 * node steps per group; after every event each group's replicas' statuses go to its suite.
 */
import { CheckerSuite, type ObservedNode } from '../checkers/checker-suite.js';
import { SafetyViolation } from '../checkers/violation.js';
import type { MultiNode } from './multi-node.js';

export class GroupCheckers {
  private readonly suites = new Map<number, CheckerSuite>();

  of(group: number): CheckerSuite {
    let suite = this.suites.get(group);
    if (suite === undefined) {
      suite = new CheckerSuite();
      this.suites.set(group, suite);
    }
    return suite;
  }

  /** After every event; returns (group, node, term) of leaders first seen. */
  afterEvent(nodes: Iterable<MultiNode>): { group: number; elected: ObservedNode }[] {
    const all = [...nodes];
    const out: { group: number; elected: ObservedNode }[] = [];
    for (const [group, suite] of this.suites) {
      const observed: ObservedNode[] = [];
      for (const node of all) {
        const replica = node.replicas.get(group);
        const status = replica?.status();
        if (status !== undefined && replica !== undefined) observed.push({ id: node.id, status, readiesTaken: replica.readiesTaken });
      }
      for (const elected of withGroup(group, () => suite.afterEvent(observed))) out.push({ group, elected });
    }
    return out;
  }

  totals(): { termsLed: number; entriesApplied: number } {
    let termsLed = 0;
    let entriesApplied = 0;
    for (const suite of this.suites.values()) {
      termsLed += suite.elections.termsLed;
      entriesApplied += suite.stateMachines.appliedCount;
    }
    return { termsLed, entriesApplied };
  }
}

/** Runs `check`, naming the group in any violation it throws. */
export function withGroup<T>(group: number, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof SafetyViolation && !error.message.startsWith('[g')) throw new SafetyViolation(error.checker, `[g${group}] ${error.message}`);
    throw error;
  }
}

export interface ReportedViolation {
  readonly checker: string;
  readonly message: string;
  readonly atMs: number;
}

export function toViolation(error: unknown, atMs: number): ReportedViolation {
  if (error instanceof SafetyViolation) return { checker: error.checker, message: error.message, atMs };
  if (error instanceof Error) {
    const where = error.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ') ?? '';
    return { checker: 'exception', message: `${error.name}: ${error.message} at ${where}`, atMs };
  }
  return { checker: 'exception', message: String(error), atMs };
}
