// Goal: decide whether one key's operations have a linearization, i.e. a total order that respects
// real time and that the register model accepts. Method: the Wing & Gong search with Lowe's
// memoisation (the WGL algorithm also used by porcupine and knossos), written from the papers:
//
// - Every operation becomes a call entry and a return entry; entries sit in one doubly linked list
//   sorted by time. At equal times calls come first, so operations that touch at an instant count
//   as concurrent: the check can only get more lenient from coarse clocks, never stricter.
// - Walking from the head, a call entry is a candidate to linearize next. Linearizing it removes
//   its call and return from the list ("lift") and pushes it on a stack. Meeting a return entry
//   means that operation had to take effect before everything after it, and every candidate before
//   it was tried, so the search backtracks: pop, put the entries back ("unlift"), try the next one.
// - Lowe's memo: (set of linearized operations, model state) fully determines the future, so a
//   configuration seen before is never explored twice.
// - Optional operations (outcome `info`) return at +infinity: they never force a backtrack and the
//   search succeeds once every required operation is linearized, leaving the rest "never happened".
//
// The search is bounded by a step budget; running out yields 'budget', never a guess.

export interface SearchOp {
  readonly callTime: number;
  /** Infinity for optional operations. */
  readonly returnTime: number;
  /** True when the operation may also never have taken effect (outcome `info`). */
  readonly isOptional: boolean;
}

export interface SearchModel {
  readonly initialState: number;
  /** The next state after operation `opIndex`, or undefined when it cannot happen in `state`. */
  step(opIndex: number, state: number): number | undefined;
}

export interface SearchProgress {
  /** Operation indices in linearization order. */
  readonly order: readonly number[];
  readonly state: number;
}

export interface SearchResult {
  readonly outcome: 'linearizable' | 'not-linearizable' | 'budget';
  readonly steps: number;
  /** The linearization with the most required operations seen; the whole one when linearizable. */
  readonly best: SearchProgress;
}

const nil = -1;

/** The entry list as parallel arrays: node 2i is op i's call, 2i+1 its return, `head` the sentinel. */
class EntryList {
  readonly head: number;
  readonly next: Int32Array;
  readonly prev: Int32Array;

  constructor(ops: readonly SearchOp[]) {
    const nodes = ops.flatMap((op, i) => [
      { node: 2 * i, time: op.callTime, isCall: true },
      { node: 2 * i + 1, time: op.returnTime, isCall: false },
    ]);
    // Sort is stable; calls before returns at equal times (see the header comment).
    nodes.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall));
    this.head = nodes.length;
    this.next = new Int32Array(nodes.length + 1).fill(nil);
    this.prev = new Int32Array(nodes.length + 1).fill(nil);
    let last = this.head;
    for (const { node } of nodes) {
      this.next[last] = node;
      this.prev[node] = last;
      last = node;
    }
  }

  first(): number {
    return this.next[this.head] ?? nil;
  }

  after(node: number): number {
    return this.next[node] ?? nil;
  }

  /** Unlinks a node but keeps its own pointers, so `relink` can undo it (dancing links). */
  private unlink(node: number): void {
    const before = this.prev[node] ?? nil;
    const after = this.next[node] ?? nil;
    this.next[before] = after;
    if (after !== nil) this.prev[after] = before;
  }

  private relink(node: number): void {
    const before = this.prev[node] ?? nil;
    const after = this.next[node] ?? nil;
    this.next[before] = node;
    if (after !== nil) this.prev[after] = node;
  }

  /** Removes op i's call and return. Lifts and unlifts must nest like a stack. */
  lift(op: number): void {
    this.unlink(2 * op);
    this.unlink(2 * op + 1);
  }

  unlift(op: number): void {
    this.relink(2 * op + 1);
    this.relink(2 * op);
  }
}

interface Frame {
  readonly op: number;
  readonly stateBefore: number;
}

/** Runs the WGL search with at most `stepsMax` loop iterations. */
export function searchLinearization(ops: readonly SearchOp[], model: SearchModel, stepsMax: number): SearchResult {
  const list = new EntryList(ops);
  const masks = ops.map((_, i) => 1n << BigInt(i));
  const required = ops.filter((op) => !op.isOptional).length;
  const memo = new Set<string>();
  const stack: Frame[] = [];
  let best: SearchProgress = { order: [], state: model.initialState };
  let bestRequired = 0;
  let linearized = 0n;
  let linearizedRequired = 0;
  let state = model.initialState;
  let entry = list.first();
  let steps = 0;
  const snapshot = (): SearchProgress => ({ order: stack.map((frame) => frame.op), state });

  while (linearizedRequired < required) {
    if (steps >= stepsMax) return { outcome: 'budget', steps, best };
    steps += 1;
    const op = entry >> 1;
    if (entry !== nil && entry % 2 === 0) {
      const nextState = model.step(op, state);
      const nextSet = linearized | (masks[op] ?? 0n);
      const memoKey = nextState === undefined ? '' : `${nextSet.toString(36)}:${nextState}`;
      if (nextState !== undefined && !memo.has(memoKey)) {
        memo.add(memoKey);
        stack.push({ op, stateBefore: state });
        list.lift(op);
        linearized = nextSet;
        state = nextState;
        if (!(ops[op]?.isOptional ?? true)) linearizedRequired += 1;
        if (linearizedRequired > bestRequired) {
          bestRequired = linearizedRequired;
          best = snapshot();
        }
        entry = list.first();
      } else {
        entry = list.after(entry);
      }
      continue;
    }
    // A return entry (or, defensively, the end of the list): every candidate before it failed.
    const frame = stack.pop();
    if (frame === undefined) return { outcome: 'not-linearizable', steps, best };
    list.unlift(frame.op);
    linearized &= ~(masks[frame.op] ?? 0n);
    state = frame.stateBefore;
    if (!(ops[frame.op]?.isOptional ?? true)) linearizedRequired -= 1;
    entry = list.after(2 * frame.op);
  }
  return { outcome: 'linearizable', steps, best: snapshot() };
}
