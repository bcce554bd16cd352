/**
 * Goal: the simulator's virtual-time event queue. Method: a binary min-heap ordered by
 * (time, sequence), so events due at the same time run in the order they were scheduled and a run
 * depends only on its seed, never on heap internals. Bounded: overflowing it is a harness bug.
 */
import { assert } from '../../src/shared/assert.js';

export interface Scheduled<T> {
  readonly timeMs: number;
  readonly seq: number;
  readonly event: T;
}

/** What deferWhilePaused needs of a simulated node. */
export interface PausableNode {
  readonly pausedUntilMs: number;
  ticksMissed: number;
}

/**
 * A paused node's input waits until it resumes, in arrival order; its ticks are counted (the
 * cluster decides on resume whether a runtime replays them) and come back one interval later.
 * True when `event` was deferred.
 */
export function deferWhilePaused<T>(queue: EventQueue<T>, event: T, node: PausableNode | undefined, isTick: boolean, nowMs: number, tickMs: number): boolean {
  if (node === undefined || node.pausedUntilMs <= nowMs) return false;
  if (isTick) {
    node.ticksMissed++;
    queue.push(nowMs + tickMs, event);
  } else {
    queue.push(node.pausedUntilMs, event);
  }
  return true;
}

export class EventQueue<T> {
  private readonly heap: Scheduled<T>[] = [];
  private seqNext = 0;

  constructor(private readonly eventsQueuedMax: number) {}

  get size(): number {
    return this.heap.length;
  }

  push(timeMs: number, event: T): void {
    assert(this.heap.length < this.eventsQueuedMax, `Event queue is full at ${this.eventsQueuedMax}`);
    this.heap.push({ timeMs, seq: this.seqNext++, event });
    this.siftUp(this.heap.length - 1);
  }

  peekTimeMs(): number | undefined {
    return this.heap[0]?.timeMs;
  }

  pop(): Scheduled<T> | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /**
   * Hands over, in order, every event due by `endMs`; true as soon as isDone() holds after one,
   * false once none is due (the rest stay queued).
   */
  runUntil(endMs: number, handle: (slot: Scheduled<T>) => void, isDone: () => boolean): boolean {
    for (;;) {
      const next = this.peekTimeMs();
      if (next === undefined || next > endMs) return false;
      const slot = this.pop();
      assert(slot !== undefined, 'Queue emptied between peek and pop');
      handle(slot);
      if (isDone()) return true;
    }
  }

  private at(i: number): Scheduled<T> {
    const slot = this.heap[i];
    assert(slot !== undefined, `Heap slot ${i} is empty`);
    return slot;
  }

  private before(i: number, j: number): boolean {
    const a = this.at(i);
    const b = this.at(j);
    return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.at(i);
    this.heap[i] = this.at(j);
    this.heap[j] = a;
  }

  private siftUp(start: number): void {
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(start: number): void {
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.heap.length && this.before(left, smallest)) smallest = left;
      if (right < this.heap.length && this.before(right, smallest)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
