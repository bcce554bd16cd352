/**
 * PeerTransport over grpc-js. Outbound: one PeerConnection (channel + long-lived Stream) per peer,
 * fed from a bounded queue, one MessageBatch per peer per event-loop turn. Inbound: the
 * RaftTransport service on the grpc.Server the caller passes in (the node's peer port, which serves
 * nothing else), which the caller binds, and shuts down after close().
 */
import * as grpc from '@grpc/grpc-js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { RaftMessage } from '../raft/messages.js';
import type { LocalIdentity } from './hello.js';
import { Outbox, peerStats } from './outbox.js';
import { PeerConnection } from './peer-connection.js';
import { PeerInbound } from './peer-inbound.js';
import {
  resolveLimits,
  type MessageHandler,
  type PeerStats,
  type PeerTransport,
  type PeerTransportLimits,
  type TransportLogger,
  type TransportStats,
} from './peer-transport.js';
import { WarnLimiter } from './warn-limiter.js';

export interface GrpcPeerTransportOptions {
  readonly self: NodeId;
  /** Every node of a cluster has the same id here; peers of another cluster are refused. */
  readonly clusterId: string;
  /** Where peers reach this node ("host:port"); sent in Hello, for their logs. */
  readonly address: string;
  /** Peer addresses ("host:port"). Messages for other nodes are dropped; update with setPeers(). */
  readonly peers: ReadonlyMap<NodeId, string>;
  /** The caller's server; it must have been created with `peerServerOptions()` merged in. */
  readonly server: grpc.Server;
  readonly logger: TransportLogger;
  readonly limits?: Partial<PeerTransportLimits>;
  /** Default: insecure (plaintext). */
  readonly credentials?: grpc.ChannelCredentials;
  /**
   * The server is a mutual-TLS port: each inbound peer is the node its certificate names, and a
   * Hello or Stream claiming another node is refused (peer-identity.ts). Default false.
   */
  readonly certified?: boolean;
  /** Default true: flush at the end of each event-loop turn with setImmediate. */
  readonly autoFlush?: boolean;
  /** [0, 1) for backoff jitter; default Math.random (jitter need not be replayable). */
  readonly random?: () => number;
}

/** Framing and estimate error on top of the largest batch or message we send. */
const RECEIVE_SLACK_BYTES = 1024 * 1024;

/**
 * Server options the transport needs: peers send batches up to `batchBytesMax` and single messages
 * up to `messageBytesMax`, above grpc's default 4 MiB receive limit.
 */
export function peerServerOptions(limits: Partial<PeerTransportLimits> = {}): grpc.ServerOptions {
  const resolved = resolveLimits(limits);
  return { 'grpc.max_receive_message_length': Math.max(resolved.batchBytesMax, resolved.messageBytesMax) + RECEIVE_SLACK_BYTES };
}

export class GrpcPeerTransport implements PeerTransport {
  private readonly limits: PeerTransportLimits;
  private readonly outbox: Outbox;
  private readonly inbound: PeerInbound;
  private readonly connections = new Map<NodeId, PeerConnection>();
  private readonly addresses = new Map<NodeId, string>();
  private readonly warnings: WarnLimiter;
  private readonly local: LocalIdentity;
  private handler: MessageHandler | null = null;
  private droppedNoHandler = 0;
  private isClosed = false;

  constructor(private readonly options: GrpcPeerTransportOptions) {
    this.limits = resolveLimits(options.limits);
    this.warnings = new WarnLimiter(options.logger, this.limits.warnIntervalMs);
    this.local = {
      self: options.self,
      clusterId: options.clusterId,
      address: options.address,
      peerAddress: (node) => this.addresses.get(node),
    };
    this.outbox = new Outbox({
      self: options.self,
      limits: this.limits,
      autoFlush: options.autoFlush ?? true,
      flush: () => this.flush(),
      warnings: this.warnings,
    });
    this.inbound = new PeerInbound(options.server, {
      local: this.local,
      slot: (peer) => this.outbox.slot(peer),
      deliver: (group, message) => this.deliver(group, message),
      logger: options.logger,
      warnings: this.warnings,
      certified: options.certified ?? false,
    });
    this.setPeers(options.peers);
  }

  /**
   * Replaces the peer address map (membership or address change). New peers get a connection on
   * their first message; removed peers lose theirs and their queue; a changed address redials.
   * An entry for this node itself is ignored.
   */
  setPeers(peers: ReadonlyMap<NodeId, string>): void {
    if (this.isClosed) return;
    for (const [peer, connection] of [...this.connections]) {
      if (peers.has(peer)) continue;
      connection.close();
      this.connections.delete(peer);
      this.addresses.delete(peer);
      this.outbox.removePeer(peer);
    }
    for (const [peer, address] of peers) {
      if (peer === this.options.self) continue; // A full membership map may list this node too.
      this.addresses.set(peer, address);
      const existing = this.connections.get(peer);
      if (existing !== undefined) {
        existing.setAddress(address);
        continue;
      }
      const slot = this.outbox.addPeer(peer);
      this.connections.set(peer, new PeerConnection(address, {
        local: this.local,
        peer,
        slot,
        limits: this.limits,
        logger: this.options.logger,
        warnings: this.warnings,
        credentials: this.options.credentials ?? grpc.credentials.createInsecure(),
        random: this.options.random ?? Math.random,
      }));
    }
  }

  /** A configured peer (not this node): the nodes whose node-to-node calls are answered. */
  isPeer(node: NodeId): boolean {
    return this.addresses.has(node);
  }

  send(to: NodeId, group: GroupId, message: RaftMessage): void {
    this.outbox.send(to, group, message);
  }

  flush(): void {
    this.outbox.cancelScheduledFlush();
    if (this.isClosed) return;
    for (const connection of this.connections.values()) connection.flush();
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  /**
   * Runs the handler outside grpc's stream machinery: if it throws (a broken invariant in the
   * runtime), the error is rethrown on a fresh stack so it reaches the process's top-level handler
   * instead of being swallowed or misreported by grpc-js.
   */
  private deliver(group: GroupId, message: RaftMessage): boolean {
    if (this.isClosed) return false;
    if (this.handler === null) {
      this.droppedNoHandler += 1;
      return true;
    }
    try {
      this.handler(group, message);
      return true;
    } catch (error) {
      setImmediate(() => {
        throw error;
      });
      return false;
    }
  }

  stats(): TransportStats {
    const peers = new Map<NodeId, PeerStats>();
    for (const [peer, slot] of this.outbox.peers()) {
      peers.set(peer, peerStats(slot, this.connections.get(peer)?.isConnected ?? false));
    }
    return {
      peers,
      droppedUnknownPeer: this.outbox.droppedUnknownPeer,
      rejectedBatches: this.inbound.rejectedBatches,
      droppedNoHandler: this.droppedNoHandler,
      refusedMessages: { ...this.inbound.refusals.counts },
    };
  }

  /** Closes outbound streams and channels and unregisters the service; the server stays up. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    this.outbox.close();
    for (const connection of this.connections.values()) connection.close();
    this.inbound.close();
    return Promise.resolve();
  }
}
