/**
 * The in-process twin of GrpcPeerTransport, for runtime and server tests: nodes join a hub and
 * exchange batches through it. Same queues, bounds, drop accounting and codec as the real one
 * (every message is encoded and decoded, so codec checks run), but no sockets or protobuf bytes.
 *
 * Delivery is asynchronous, one setImmediate per batch, so handlers never run inside the sender's
 * flush() and order per link is preserved. A link that is cut, or whose receiver has not joined or
 * has closed, behaves like a peer that is down: messages wait in the bounded queue.
 */
import { assert } from '../shared/assert.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { RaftMessage } from '../raft/messages.js';
import { decodeMessage } from './codec.js';
import { Outbox, peerStats, type PeerSlot } from './outbox.js';
import {
  resolveLimits,
  type MessageHandler,
  type PeerStats,
  type PeerTransport,
  type PeerTransportLimits,
  type TransportLogger,
  type TransportStats,
} from './peer-transport.js';
import type { QueuedMessage } from './peer-queue.js';
import { PeerRefusals } from './peer-refusals.js';
import { WarnLimiter } from './warn-limiter.js';

export interface MemoryPeerTransportOptions {
  readonly peers: readonly NodeId[];
  readonly limits?: Partial<PeerTransportLimits>;
  /** Default true: flush at the end of the turn, as GrpcPeerTransport does. */
  readonly autoFlush?: boolean;
  readonly logger?: TransportLogger;
}

const silentLogger: TransportLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export class MemoryTransportHub {
  private readonly nodes = new Map<NodeId, MemoryPeerTransport>();
  private readonly cutLinks = new Set<string>();

  join(self: NodeId, options: MemoryPeerTransportOptions): MemoryPeerTransport {
    const existing = this.nodes.get(self);
    assert(existing === undefined || existing.isClosed, `Node ${self} already joined the hub`);
    const transport = new MemoryPeerTransport(this, self, options);
    this.nodes.set(self, transport);
    return transport;
  }

  /** Cuts (`up = false`) or heals the one-way link `from -> to`. */
  setLink(from: NodeId, to: NodeId, up: boolean): void {
    if (up) this.cutLinks.delete(`${from}>${to}`);
    else this.cutLinks.add(`${from}>${to}`);
  }

  /** Cuts or heals both directions between every node of `a` and every node of `b`. */
  partition(a: readonly NodeId[], b: readonly NodeId[], up = false): void {
    for (const x of a) {
      for (const y of b) {
        this.setLink(x, y, up);
        this.setLink(y, x, up);
      }
    }
  }

  /** @internal The open receiver for `from -> to`, if the link is up. */
  receiver(from: NodeId, to: NodeId): MemoryPeerTransport | undefined {
    if (this.cutLinks.has(`${from}>${to}`)) return undefined;
    const node = this.nodes.get(to);
    return node === undefined || node.isClosed ? undefined : node;
  }
}

export class MemoryPeerTransport implements PeerTransport {
  private readonly limits: PeerTransportLimits;
  private readonly outbox: Outbox;
  private readonly warnings: WarnLimiter;
  private readonly refusals: PeerRefusals;
  private handler: MessageHandler | null = null;
  private droppedNoHandler = 0;
  isClosed = false;

  constructor(
    private readonly hub: MemoryTransportHub,
    readonly self: NodeId,
    options: MemoryPeerTransportOptions,
  ) {
    this.limits = resolveLimits(options.limits);
    this.warnings = new WarnLimiter(options.logger ?? silentLogger, this.limits.warnIntervalMs);
    this.refusals = new PeerRefusals(this.warnings);
    this.outbox = new Outbox({
      self,
      limits: this.limits,
      autoFlush: options.autoFlush ?? true,
      flush: () => this.flush(),
      warnings: this.warnings,
    });
    this.setPeers(options.peers);
  }

  /** Replaces the peer set (membership change); queues of removed peers are discarded. */
  setPeers(peers: readonly NodeId[]): void {
    const wanted = new Set(peers.filter((peer) => peer !== this.self));
    for (const [peer] of [...this.outbox.peers()]) if (!wanted.has(peer)) this.outbox.removePeer(peer);
    for (const peer of wanted) this.outbox.addPeer(peer);
  }

  send(to: NodeId, group: GroupId, message: RaftMessage): void {
    this.outbox.send(to, group, message);
  }

  flush(): void {
    this.outbox.cancelScheduledFlush();
    if (this.isClosed) return;
    for (const [peer, slot] of this.outbox.peers()) {
      const receiver = this.hub.receiver(this.self, peer);
      if (receiver === undefined) continue;
      while (slot.queue.length > 0) this.sendBatch(receiver, slot, slot.queue.takeBatch(this.limits.batchMessagesMax, this.limits.batchBytesMax));
    }
  }

  private sendBatch(receiver: MemoryPeerTransport, slot: PeerSlot, batch: readonly QueuedMessage[]): void {
    const bytes = batch.reduce((sum, item) => sum + item.bytes, 0);
    slot.counters.messagesSent += batch.length;
    slot.counters.batchesSent += 1;
    slot.counters.bytesSent += bytes;
    setImmediate(() => receiver.receive(this.self, batch, bytes));
  }

  private receive(from: NodeId, batch: readonly QueuedMessage[], bytes: number): void {
    const slot = this.outbox.slot(from);
    if (this.isClosed || slot === undefined) return;
    slot.counters.batchesReceived += 1;
    slot.counters.bytesReceived += bytes;
    for (const item of batch) {
      const decoded = this.refusals.admit(decodeMessage(item.wire), from, this.self, slot.counters);
      if (decoded === undefined) continue;
      if (this.handler === null) {
        this.droppedNoHandler += 1;
        continue;
      }
      slot.counters.messagesReceived += 1;
      this.handler(decoded.group, decoded.message);
    }
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerStats>();
    for (const [peer, slot] of this.outbox.peers()) peers.set(peer, peerStats(slot, this.hub.receiver(this.self, peer) !== undefined));
    return {
      peers, droppedUnknownPeer: this.outbox.droppedUnknownPeer, rejectedBatches: 0, droppedNoHandler: this.droppedNoHandler,
      refusedMessages: { ...this.refusals.counts },
    };
  }

  close(): Promise<void> {
    this.isClosed = true;
    this.outbox.close();
    return Promise.resolve();
  }
}
