/**
 * The bounded FIFO of messages waiting for one peer. Tail drop: when a bound would be passed the
 * new message is refused and the caller counts it. Dropping the newest rather than the oldest keeps
 * what is already queued in order; Raft resends whatever it still needs.
 */
import { assert } from '../shared/assert.js';
import type { WireGroupMessage } from './wire-types.js';

export interface QueuedMessage {
  readonly wire: WireGroupMessage;
  /** The codec's size estimate, counted against the byte bounds. */
  readonly bytes: number;
}

/** Consumed slots are reclaimed once this many pile up at the front. */
const COMPACT_AFTER = 1024;

export class PeerQueue {
  private items: QueuedMessage[] = [];
  /** Index of the oldest queued item; slots before it are consumed. */
  private head = 0;
  private bytesQueued = 0;

  constructor(
    private readonly messagesMax: number,
    private readonly bytesMax: number,
  ) {
    assert(messagesMax >= 1 && bytesMax >= 1, 'PeerQueue bounds must be >= 1');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.bytesQueued;
  }

  /** Queues `item` unless that would pass a bound; says whether it did. */
  push(item: QueuedMessage): boolean {
    if (this.length >= this.messagesMax || this.bytesQueued + item.bytes > this.bytesMax) return false;
    this.items.push(item);
    this.bytesQueued += item.bytes;
    return true;
  }

  /**
   * Removes the oldest messages that fit together within the bounds, in order. Always takes at
   * least one message if any is queued, so a message larger than `bytesMax` still leaves.
   */
  takeBatch(messagesMax: number, bytesMax: number): QueuedMessage[] {
    const batch: QueuedMessage[] = [];
    let bytes = 0;
    while (this.head < this.items.length && batch.length < messagesMax) {
      const item = this.items[this.head];
      assert(item !== undefined, 'PeerQueue slot before its end is empty');
      if (batch.length > 0 && bytes + item.bytes > bytesMax) break;
      batch.push(item);
      bytes += item.bytes;
      this.head += 1;
    }
    this.bytesQueued -= bytes;
    this.compact();
    return batch;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.bytesQueued = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
