// Goal: decide whether a parsed history is linearizable as a set of independent CAS registers, one
// per key, and explain a violation well enough to debug it. Method: partition operations by key
// (linearizability is compositional, so keys can be checked apart), drop operations that constrain
// nothing (`fail` ones never happened; a read that ended `info` returned nothing we know), run the
// WGL search per key under a step budget, and for a failing key report the largest linearizable
// set found plus the operations that could not be placed after it.

import type { Operation } from './history.js';
import { explainStep, initialStateId, stepRegister, toRegisterOp, ValueTable, type RegisterOp } from './register-model.js';
import { searchLinearization, type SearchOp } from './wgl-search.js';

export type Verdict = true | false | 'unknown';

export interface CheckOptions {
  /** Search steps allowed per key before its verdict becomes 'unknown'. */
  readonly stepsMaxPerKey?: number;
}

export const stepsMaxPerKeyDefault = 1_000_000;

export interface KeyResult {
  readonly key: string;
  readonly valid: Verdict;
  /** Operations the search had to place (ok ones plus info writes and cas). */
  readonly opCount: number;
  /** Of those, how many were `info` (optional). */
  readonly infoCount: number;
  /** Operations on this key left out: `fail` ones and reads that ended `info`. */
  readonly droppedCount: number;
  readonly steps: number;
}

export interface UnplacedOp {
  readonly op: Operation;
  /** Why it cannot take effect right after the linearized prefix. */
  readonly reason: string;
}

export interface KeyFailure {
  readonly key: string;
  /** The largest linearizable set found, in its linearization order. */
  readonly linearized: readonly Operation[];
  /** Register value after `linearized`. */
  readonly stateAfter: string | null;
  /** The required operation that returned first without being linearized: the search's dead end. */
  readonly deadline: Operation;
  /** Every operation that could have gone next (called before `deadline` returned), with reasons. */
  readonly unplaced: readonly UnplacedOp[];
  /** Time span worth looking at: from the first unplaced call to the deadline's return. */
  readonly window: { readonly from: number; readonly to: number };
}

export interface CheckResult {
  readonly valid: Verdict;
  readonly keys: readonly KeyResult[];
  readonly failures: readonly KeyFailure[];
}

/** True for operations that constrain the register. */
function isChecked(op: Operation): boolean {
  if (op.outcome === 'fail') return false;
  return !(op.outcome === 'info' && op.f === 'read');
}

function groupByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    const group = byKey.get(op.key);
    if (group === undefined) byKey.set(op.key, [op]);
    else group.push(op);
  }
  return byKey;
}

function toSearchOp(op: Operation): SearchOp {
  const isOptional = op.outcome === 'info';
  return { callTime: op.invokeTime, returnTime: isOptional ? Infinity : op.completeTime, isOptional };
}

function describeFailure(key: string, entries: readonly RegisterOp[], table: ValueTable, order: readonly number[], stateId: number): KeyFailure {
  const placed = new Set(order);
  const open = entries.filter((_, i) => !placed.has(i)).map((entry) => entry.op);
  const required = open.filter((op) => op.outcome !== 'info');
  // A failing search always leaves a required op open; the fallback only satisfies the type.
  const deadline = required.reduce<Operation | undefined>(
    (first, op) => (first === undefined || op.completeTime < first.completeTime ? op : first),
    undefined,
  );
  const stateAfter = table.valueOf(stateId);
  if (deadline === undefined) throw new Error(`Cannot describe failure on key ${JSON.stringify(key)}: no open operation`);
  const unplaced = open
    .filter((op) => op.invokeTime <= deadline.completeTime)
    .map((op) => ({ op, reason: explainStep(op, stateAfter) }));
  const from = Math.min(...unplaced.map((entry) => entry.op.invokeTime));
  const linearized = order.flatMap((i) => entries[i]?.op ?? []);
  return { key, linearized, stateAfter, deadline, unplaced, window: { from, to: deadline.completeTime } };
}

interface KeyCheck {
  readonly result: KeyResult;
  readonly failure?: KeyFailure;
}

/** Checks one key's operations (all of the same key, any outcome). */
export function checkKey(key: string, keyOps: readonly Operation[], options: CheckOptions = {}): KeyCheck {
  const checked = keyOps.filter(isChecked);
  const table = new ValueTable();
  const entries = checked.map((op) => toRegisterOp(op, table));
  const model = {
    initialState: initialStateId,
    step: (i: number, state: number) => {
      const entry = entries[i];
      return entry === undefined ? undefined : stepRegister(entry, state);
    },
  };
  const stepsMax = options.stepsMaxPerKey ?? stepsMaxPerKeyDefault;
  const search = searchLinearization(checked.map(toSearchOp), model, stepsMax);
  const valid: Verdict = search.outcome === 'linearizable' ? true : search.outcome === 'budget' ? 'unknown' : false;
  const result: KeyResult = {
    key,
    valid,
    opCount: checked.length,
    infoCount: checked.filter((op) => op.outcome === 'info').length,
    droppedCount: keyOps.length - checked.length,
    steps: search.steps,
  };
  if (valid !== false) return { result };
  return { result, failure: describeFailure(key, entries, table, search.best.order, search.best.state) };
}

/**
 * Checks every key. The overall verdict is false if any key is not linearizable (a proven
 * violation stands even if other keys ran out of budget), else 'unknown' if any key ran out of
 * budget, else true.
 */
export function checkHistory(ops: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const keys: KeyResult[] = [];
  const failures: KeyFailure[] = [];
  for (const [key, keyOps] of groupByKey(ops)) {
    const { result, failure } = checkKey(key, keyOps, options);
    keys.push(result);
    if (failure !== undefined) failures.push(failure);
  }
  const valid: Verdict = failures.length > 0 ? false : keys.some((k) => k.valid === 'unknown') ? 'unknown' : true;
  return { valid, keys, failures };
}
