// Goal: a slow but obviously correct twin of the WGL checker, to compare verdicts on small random
// histories. Method: try every order of the operations straight from the definition: an operation
// may go next only once every ok operation that returned strictly before its invoke has gone; ok
// operations must all go; `info` writes and cas may go at any point after their invoke or never,
// and an `info` cas may take effect with either result; `fail` operations and reads that ended
// `info` never constrain anything. Exponential: use on a handful of operations only.

import type { Operation } from './history.js';

type State = string | null;

/** Every state `op` can leave behind when applied to `state` (empty when it cannot happen). */
function nextStates(op: Operation, state: State): State[] {
  switch (op.f) {
    case 'read':
      return op.value === state ? [state] : [];
    case 'write':
      return [op.value];
    case 'cas': {
      const matches = op.expected === state;
      if (op.outcome === 'info') return matches ? [op.value] : [state];
      if (op.casOk === false) return matches ? [] : [state];
      return matches ? [op.value] : [];
    }
  }
}

function search(ops: readonly Operation[], placed: boolean[], state: State): boolean {
  const pendingRequired = ops.filter((op, i) => op.outcome === 'ok' && placed[i] !== true);
  if (pendingRequired.length === 0) return true;
  for (const [i, op] of ops.entries()) {
    if (placed[i] === true) continue;
    if (pendingRequired.some((other) => other !== op && other.completeTime < op.invokeTime)) continue;
    for (const next of nextStates(op, state)) {
      placed[i] = true;
      const found = search(ops, placed, next);
      placed[i] = false;
      if (found) return true;
    }
  }
  return false;
}

/** True when the operations of one key are linearizable as a CAS register starting at null. */
export function isLinearizableNaive(keyOps: readonly Operation[]): boolean {
  const relevant = keyOps.filter((op) => op.outcome === 'ok' || (op.outcome === 'info' && op.f !== 'read'));
  return search(relevant, relevant.map(() => false), null);
}
