/**
 * The sending half shared by both transports: per-peer bounded queues, drop accounting, counters,
 * and the end-of-turn flush. The transports differ only in how they drain a queue.
 */
import { assert } from '../shared/assert.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { RaftMessage } from '../raft/messages.js';
import { encodeMessage, estimateMessageBytes } from './codec.js';
import type { PeerStats, PeerTransportLimits } from './peer-transport.js';
import { PeerQueue } from './peer-queue.js';
import type { WarnLimiter } from './warn-limiter.js';

/** Mutable counters behind PeerStats. */
export class PeerCounters {
  messagesSent = 0;
  batchesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  batchesReceived = 0;
  bytesReceived = 0;
  droppedQueueFull = 0;
  droppedOversize = 0;
  droppedMalformed = 0;
  reconnects = 0;
}

export interface PeerSlot {
  readonly queue: PeerQueue;
  readonly counters: PeerCounters;
}

export function peerStats(slot: PeerSlot, connected: boolean): PeerStats {
  return { ...slot.counters, connected, queuedMessages: slot.queue.length, queuedBytes: slot.queue.bytes };
}

export interface OutboxOptions {
  readonly self: NodeId;
  readonly limits: PeerTransportLimits;
  /** Flush at the end of the turn in which the first message was queued (setImmediate). */
  readonly autoFlush: boolean;
  /** Drains every queue: the transport's flush(). */
  readonly flush: () => void;
  readonly warnings: WarnLimiter;
}

export class Outbox {
  private readonly slots = new Map<NodeId, PeerSlot>();
  private scheduled: NodeJS.Immediate | null = null;
  private isClosed = false;
  droppedUnknownPeer = 0;

  constructor(private readonly options: OutboxOptions) {}

  addPeer(peer: NodeId): PeerSlot {
    assert(peer !== this.options.self, `Node ${peer} cannot be its own peer`);
    const existing = this.slots.get(peer);
    if (existing !== undefined) return existing;
    const { peerQueueMessagesMax, peerQueueBytesMax } = this.options.limits;
    const slot = { queue: new PeerQueue(peerQueueMessagesMax, peerQueueBytesMax), counters: new PeerCounters() };
    this.slots.set(peer, slot);
    return slot;
  }

  removePeer(peer: NodeId): void {
    this.slots.delete(peer);
  }

  slot(peer: NodeId): PeerSlot | undefined {
    return this.slots.get(peer);
  }

  peers(): IterableIterator<[NodeId, PeerSlot]> {
    return this.slots.entries();
  }

  send(to: NodeId, group: GroupId, message: RaftMessage): void {
    assert(message.to === to, `send() to node ${to} of a message addressed to node ${message.to}`);
    assert(message.from === this.options.self, `send() from node ${this.options.self} of a message from node ${message.from}`);
    if (this.isClosed) return;
    const slot = this.slots.get(to);
    if (slot === undefined) {
      this.droppedUnknownPeer += 1;
      this.options.warnings.warn(`unknown:${to}`, { peer: to, group }, 'dropped message for a peer with no address');
      return;
    }
    const bytes = estimateMessageBytes(message);
    if (bytes > this.options.limits.messageBytesMax) {
      // The core's append and chunk bounds should make this impossible: a human must look.
      slot.counters.droppedOversize += 1;
      this.options.warnings.warn(`oversize:${to}`, { peer: to, group, bytes, type: message.type }, 'dropped message over messageBytesMax');
      return;
    }
    if (!slot.queue.push({ wire: encodeMessage(group, message), bytes })) {
      slot.counters.droppedQueueFull += 1;
      this.options.warnings.warn(`full:${to}`, { peer: to, queued: slot.queue.length }, 'dropped message: peer queue full');
      return;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.options.autoFlush || this.scheduled !== null) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = null;
      this.options.flush();
    });
  }

  /** Called at the start of every flush, so an explicit flush() makes the scheduled one moot. */
  cancelScheduledFlush(): void {
    if (this.scheduled === null) return;
    clearImmediate(this.scheduled);
    this.scheduled = null;
  }

  close(): void {
    this.isClosed = true;
    this.cancelScheduledFlush();
    for (const slot of this.slots.values()) slot.queue.clear();
  }
}
