// Goal: the sequential specification a single key must obey: a compare-and-set register whose
// state is a string or null (absent), starting at null. Method: values are interned to small
// integers per key so the search can memoise (linearized set, state) cheaply; `stepRegister` is the
// model's transition function and `explainStep` says in words why a step is illegal.

import type { Operation } from './history.js';

/** An operation with its register values replaced by interned ids. */
export interface RegisterOp {
  readonly op: Operation;
  readonly valueId: number;
  /** Only meaningful for cas. */
  readonly expectedId: number;
}

/** Interns register values per key; id 0 is null, the initial (absent) state. */
export class ValueTable {
  private readonly ids = new Map<string, number>();
  private readonly values: Array<string | null> = [null];

  idOf(value: string | null): number {
    if (value === null) return 0;
    const known = this.ids.get(value);
    if (known !== undefined) return known;
    const id = this.values.length;
    this.ids.set(value, id);
    this.values.push(value);
    return id;
  }

  valueOf(id: number): string | null {
    return this.values[id] ?? null;
  }
}

export const initialStateId = 0;

export function toRegisterOp(op: Operation, table: ValueTable): RegisterOp {
  return { op, valueId: table.idOf(op.value), expectedId: table.idOf(op.expected ?? null) };
}

/**
 * Applies `entry` to `state`; returns the next state, or undefined if the operation's observed
 * result is impossible in that state.
 *
 * An `info` cas (outcome unknown) is only applied when the compare matches. If it did not match,
 * it changed nothing, which is the same as it never taking effect; the search already allows that
 * by leaving an `info` operation unlinearized, so offering it here would only grow the search.
 */
export function stepRegister(entry: RegisterOp, state: number): number | undefined {
  const { op, valueId, expectedId } = entry;
  switch (op.f) {
    case 'read':
      return state === valueId ? state : undefined;
    case 'write':
      return valueId;
    case 'cas':
      if (op.outcome === 'ok' && op.casOk === false) return state !== expectedId ? state : undefined;
      return state === expectedId ? valueId : undefined;
  }
}

export function formatValue(value: string | null | undefined): string {
  return value === null || value === undefined ? 'null' : JSON.stringify(value);
}

/** One-line description such as `write "0-1"`, `read -> "0-1"` or `cas "a" -> "b" (cas_ok false)`. */
export function describeOp(op: Operation): string {
  if (op.f === 'read') return op.outcome === 'ok' ? `read -> ${formatValue(op.value)}` : 'read';
  if (op.f === 'write') return `write ${formatValue(op.value)}`;
  const result = op.casOk === false ? ' (cas_ok false)' : '';
  return `cas ${formatValue(op.expected)} -> ${formatValue(op.value)}${result}`;
}

/** Why `op` can or cannot take effect when the register holds `state`. */
export function explainStep(op: Operation, state: string | null): string {
  const held = `the register held ${formatValue(state)}`;
  if (op.f === 'read' && op.value !== state) return `read returned ${formatValue(op.value)} but ${held}`;
  if (op.f === 'cas') {
    const matches = op.expected === state;
    if (op.outcome === 'ok' && op.casOk === false && matches) {
      return `cas reported no match but ${held}, which equals expected`;
    }
    if (!(op.outcome === 'ok' && op.casOk === false) && !matches) {
      return `cas expected ${formatValue(op.expected)} but ${held}`;
    }
  }
  return `legal here (${held}), but no order of the remaining operations works after it`;
}
