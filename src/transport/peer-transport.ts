/**
 * The narrow interface the runtime sends and receives Raft messages through (hashicorp/raft's
 * Transport idea). Two implementations: GrpcPeerTransport (real network) and MemoryPeerTransport
 * (in-process hub for tests).
 *
 * Delivery is best effort, like the network Raft assumes (thesis §3.1): messages may be dropped
 * (bounded queues, broken streams), but those from one sender to one receiver are never reordered.
 * Raft's own retries (heartbeats, append probing) recover from every drop.
 */
import type { Logger } from 'pino';
import { assert } from '../shared/assert.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { RaftMessage } from '../raft/messages.js';
import type { RefusalCounts } from './peer-refusals.js';

export type MessageHandler = (group: GroupId, message: RaftMessage) => void;

export interface PeerTransport {
  /**
   * Queues `message` for `to` (`message.to` must equal `to`). Never blocks and never throws for
   * network trouble: if the peer's queue is at its bound, or the peer is unknown, the message is
   * dropped and counted.
   */
  send(to: NodeId, group: GroupId, message: RaftMessage): void;
  /**
   * Hands everything queued to the network, one batch per peer (split only at `batchBytesMax` or
   * `batchMessagesMax`). With `autoFlush` (the default) this runs by itself at the end of the
   * event-loop turn in which the first message was queued; the runtime may call it earlier.
   */
  flush(): void;
  /** Sets the one receiver of messages from peers, in arrival order. Replaces any previous one. */
  onMessage(handler: MessageHandler): void;
  stats(): TransportStats;
  /** Stops sending and delivering; queued messages are discarded. */
  close(): Promise<void>;
}

export interface PeerStats {
  /** Messages and batches handed to the connection (delivery is not confirmed). */
  readonly messagesSent: number;
  readonly batchesSent: number;
  /** Serialized batch bytes (the memory transport counts its size estimate instead). */
  readonly bytesSent: number;
  /** Messages delivered to the handler, and the batches and bytes they came in. */
  readonly messagesReceived: number;
  readonly batchesReceived: number;
  readonly bytesReceived: number;
  /** Outbound messages dropped because the peer's queue was at a bound. */
  readonly droppedQueueFull: number;
  /** Outbound messages dropped because one alone exceeded `messageBytesMax`. */
  readonly droppedOversize: number;
  /** Inbound messages dropped because they failed to decode or were not addressed to us. */
  readonly droppedMalformed: number;
  /** Streams opened to this peer after the first (each follows a failure or an address change). */
  readonly reconnects: number;
  readonly connected: boolean;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
}

export interface TransportStats {
  readonly peers: ReadonlyMap<NodeId, PeerStats>;
  /** Messages for nodes with no known address. */
  readonly droppedUnknownPeer: number;
  /** Inbound batches or streams refused: unknown sender, wrong cluster, undecodable batch. */
  readonly rejectedBatches: number;
  /** Inbound messages that arrived while no handler was set. */
  readonly droppedNoHandler: number;
  /** Inbound messages refused at the boundary, per reason (peer-refusals.ts, docs/node.md). */
  readonly refusedMessages: Readonly<RefusalCounts>;
}

/** Named bounds (STYLE §1.3). Byte sizes are the codec's estimates, not exact encodings. */
export interface PeerTransportLimits {
  /** Messages waiting for one peer; past this, new messages are dropped (Raft retries). */
  readonly peerQueueMessagesMax: number;
  readonly peerQueueBytesMax: number;
  /** One MessageBatch stays under these (a single larger message still goes alone). */
  readonly batchMessagesMax: number;
  readonly batchBytesMax: number;
  /**
   * A message above this is dropped at send. Peers' servers must accept messages this large plus
   * a little framing: see `peerServerOptions` in grpc-peer-transport.ts.
   */
  readonly messageBytesMax: number;
  /** Reconnect delays grow from min to max with jitter (grpc-js's own backoff uses the same bounds). */
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
  /** Deadline of one Hello, which also waits for the TCP connection. */
  readonly helloDeadlineMs: number;
  /** HTTP/2 pings find a peer that vanished without closing its connection. */
  readonly keepaliveMs: number;
  readonly keepaliveTimeoutMs: number;
  /** At most one warning per peer and kind of problem per interval; the rest are counted. */
  readonly warnIntervalMs: number;
}

export const defaultPeerTransportLimits: PeerTransportLimits = {
  peerQueueMessagesMax: 10_000,
  peerQueueBytesMax: 64 * 1024 * 1024,
  batchMessagesMax: 4096,
  // The core sends appends of up to 1 MiB and snapshot chunks of 512 KiB (src/raft/config.ts).
  batchBytesMax: 2 * 1024 * 1024,
  messageBytesMax: 16 * 1024 * 1024,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 2000,
  helloDeadlineMs: 1000,
  keepaliveMs: 10_000,
  keepaliveTimeoutMs: 5000,
  warnIntervalMs: 10_000,
};

/** Fills in defaults and checks the relationships once, at construction. */
export function resolveLimits(overrides: Partial<PeerTransportLimits> = {}): PeerTransportLimits {
  const limits = { ...defaultPeerTransportLimits, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    assert(Number.isSafeInteger(value) && value >= 1, `Transport limit ${name} must be a positive integer, got ${value}`);
  }
  assert(limits.batchMessagesMax <= limits.peerQueueMessagesMax, 'batchMessagesMax must not exceed peerQueueMessagesMax');
  assert(limits.messageBytesMax <= limits.peerQueueBytesMax, 'messageBytesMax must not exceed peerQueueBytesMax');
  assert(limits.reconnectDelayMsMin <= limits.reconnectDelayMsMax, 'reconnectDelayMsMin must not exceed reconnectDelayMsMax');
  return limits;
}

/**
 * The logging surface: pino's level methods, called fields first (`peer`, `err`, ...), then a
 * constant message. A pino logger or child is passed as is.
 */
export type TransportLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
