/**
 * Run-length cache of the terms of a group's log. The core calls `term()` and `lastIndex()` on
 * every message; terms change only at elections, so a handful of runs usually covers the whole log
 * and those calls never reach SQLite. Past `runsMax` runs the oldest are dropped and their terms
 * are read from SQLite instead.
 */
import { assert } from '../shared/assert.js';

interface Run {
  /** Index of the first entry of the run. */
  readonly first: number;
  readonly term: number;
}

export class TermRuns {
  /** Invariant: non-empty; `first` strictly increasing and `term` strictly increasing. */
  private runs: Run[] = [];
  /** Invariant: last >= runs[0].first. */
  private last = 0;

  constructor(
    private readonly runsMax: number,
    base: { readonly index: number; readonly term: number },
  ) {
    this.reset(base.index, base.term);
  }

  /** The log is empty after `index` (a snapshot), whose term is `term`. */
  reset(index: number, term: number): void {
    this.runs = [{ first: index, term }];
    this.last = index;
  }

  get lastIndex(): number {
    return this.last;
  }

  /** The lowest index whose term is cached. */
  get coveredFrom(): number {
    return this.firstRun().first;
  }

  append(index: number, term: number): void {
    assert(index === this.last + 1, `TermRuns.append(${index}) after ${this.last}`);
    const tail = this.runs[this.runs.length - 1];
    assert(tail !== undefined && term >= tail.term, `TermRuns.append term ${term} below ${String(tail?.term)}`);
    this.last = index;
    if (term === tail.term) return;
    this.runs.push({ first: index, term });
    if (this.runs.length > this.runsMax) this.runs.shift();
  }

  /** Keeps entries up to `index`; the caller reloads when `index` is below `coveredFrom`. */
  truncateAfter(index: number): void {
    assert(index >= this.coveredFrom, `TermRuns.truncateAfter(${index}) below ${this.coveredFrom}`);
    assert(index <= this.last, `TermRuns.truncateAfter(${index}) past ${this.last}`);
    while (this.runs.length > 1 && this.lastRunFirst() > index) this.runs.pop();
    this.last = index;
  }

  /** Drops terms below `index` (the log was compacted up to it). */
  compactTo(index: number): void {
    assert(index <= this.last, `TermRuns.compactTo(${index}) past ${this.last}`);
    while (this.runs.length > 1 && (this.runs[1]?.first ?? Infinity) <= index) this.runs.shift();
    const head = this.firstRun();
    if (head.first < index) this.runs[0] = { first: index, term: head.term };
  }

  /** The cached term at `index`, or undefined when not cached (outside [coveredFrom, lastIndex]). */
  lookup(index: number): number | undefined {
    if (index > this.last || index < this.coveredFrom) return undefined;
    // Runs are few and the core mostly asks about recent indexes: scan from the tail.
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const run = this.runs[i];
      if (run !== undefined && run.first <= index) return run.term;
    }
    return undefined;
  }

  private firstRun(): Run {
    const head = this.runs[0];
    assert(head !== undefined, 'TermRuns has no runs');
    return head;
  }

  private lastRunFirst(): number {
    const tail = this.runs[this.runs.length - 1];
    assert(tail !== undefined, 'TermRuns has no runs');
    return tail.first;
  }
}
