/**
 * The receiving side: the RaftTransport service on the caller's grpc.Server. Hello and each Stream
 * are admitted only for configured peers of our cluster (hello.ts). Batches are decoded here, not
 * by grpc-js (the service passes raw bytes through), so a malformed batch or message is dropped,
 * counted and logged at a limited rate, and nothing a peer sends makes us throw into grpc.
 */
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { RaftMessage } from '../raft/messages.js';
import { decodeBatch, decodeMessage } from './codec.js';
import { admitCertified, admitHello, admitStream, helloResponse, type Admission, type LocalIdentity } from './hello.js';
import { certifiedPeer } from './peer-identity.js';
import type { PeerSlot } from './outbox.js';
import { PeerRefusals } from './peer-refusals.js';
import type { TransportLogger } from './peer-transport.js';
import { raftTransportProto } from './proto-loader.js';
import type { WarnLimiter } from './warn-limiter.js';

export interface PeerInboundOptions {
  readonly local: LocalIdentity;
  /** The counters of a configured peer, or undefined for anyone else. */
  readonly slot: (peer: NodeId) => PeerSlot | undefined;
  /** Hands one checked message to the runtime. Returns false to stop the rest of the batch. */
  readonly deliver: (group: GroupId, message: RaftMessage) => boolean;
  readonly logger: TransportLogger;
  readonly warnings: WarnLimiter;
  /** Mutual TLS: a peer is the node its certificate names (peer-identity.ts), whatever it claims. */
  readonly certified: boolean;
}

const passBytes = (bytes: Buffer): Buffer => bytes;

/**
 * Rate-limit key for refusals: the remote host without its port, so one misconfigured node counts
 * as one source however many connections it opens.
 */
function remoteHostKey(kind: string, remote: string): string {
  const colon = remote.lastIndexOf(':');
  return `${kind}:${colon > 0 ? remote.slice(0, colon) : remote}`;
}

/** The service as registered: Hello through the proto codec, Stream as raw bytes (decoded here). */
export function raftTransportServiceDefinition(): grpc.ServiceDefinition {
  const proto = raftTransportProto();
  return {
    Hello: {
      path: proto.helloPath,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: object) => proto.serializeHelloRequest(value),
      requestDeserialize: (bytes: Buffer) => proto.deserializeHelloRequest(bytes),
      responseSerialize: (value: object) => proto.serializeHelloResponse(value),
      responseDeserialize: (bytes: Buffer) => proto.deserializeHelloResponse(bytes),
    },
    Stream: {
      path: proto.streamPath,
      requestStream: true,
      responseStream: true,
      requestSerialize: passBytes,
      requestDeserialize: passBytes,
      responseSerialize: passBytes,
      responseDeserialize: passBytes,
    },
  };
}

export class PeerInbound {
  private readonly definition = raftTransportServiceDefinition();
  private readonly calls = new Set<grpc.ServerDuplexStream<Buffer, Buffer>>();
  private readonly proto = raftTransportProto();
  private isClosed = false;
  rejectedBatches = 0;
  readonly refusals: PeerRefusals;

  constructor(
    private readonly server: grpc.Server,
    private readonly options: PeerInboundOptions,
  ) {
    this.refusals = new PeerRefusals(options.warnings);
    const implementation: grpc.UntypedServiceImplementation = {
      Hello: (call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>) => this.onHello(call, callback),
      Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => this.onStream(call),
    };
    server.addService(this.definition, implementation);
  }

  /** Unregisters the service (so a new transport may use the server) and ends inbound streams. */
  close(): void {
    this.isClosed = true;
    this.server.removeService(this.definition);
    for (const call of this.calls) call.end();
    this.calls.clear();
  }

  private onHello(call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>): void {
    if (this.isClosed) return callback({ code: grpc.status.UNAVAILABLE, details: 'Cannot accept peer: this node is shutting down' });
    const admission = this.byCertificate(call, admitHello(call.request, this.options.local));
    if (!admission.ok) {
      this.options.warnings.error(remoteHostKey('hello', call.getPeer()), { remote: call.getPeer(), reason: admission.details }, 'refused peer hello');
      return callback({ code: admission.code, details: admission.details });
    }
    // The advertised address is informational (NAT, DNS names and wildcard binds make it differ).
    const configured = this.options.local.peerAddress(admission.peer);
    this.options.logger.debug({ peer: admission.peer, address: admission.address, configured }, 'peer said hello');
    callback(null, helloResponse(this.options.local));
  }

  private onStream(call: grpc.ServerDuplexStream<Buffer, Buffer>): void {
    const admission = this.isClosed
      ? ({ ok: false, code: grpc.status.UNAVAILABLE, details: 'Cannot accept peer stream: this node is shutting down' } as const)
      : this.byCertificate(call, admitStream(call.metadata, this.options.local));
    if (!admission.ok) {
      this.rejectedBatches += 1;
      this.options.warnings.warn(remoteHostKey('stream', call.getPeer()), { remote: call.getPeer(), reason: admission.details }, 'refused peer stream');
      // grpc-js turns an 'error' emitted on a server stream into the call's status.
      call.emit('error', { code: admission.code, details: admission.details });
      return;
    }
    const peer = admission.peer;
    this.calls.add(call);
    call.on('data', (bytes: Buffer) => this.onBatch(peer, bytes));
    call.on('end', () => call.end());
    call.on('error', (error: unknown) => this.options.logger.debug({ peer, err: error }, 'inbound peer stream failed'));
    call.on('cancelled', () => this.calls.delete(call));
    call.on('close', () => this.calls.delete(call));
    this.options.logger.debug({ peer }, 'inbound peer stream open');
  }

  /** The admission, checked against the peer's certificate on a mutual-TLS port; refusals counted. */
  private byCertificate(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } }, admission: Admission): Admission {
    if (!this.options.certified) return admission;
    const checked = admitCertified(admission, certifiedPeer(call.getAuthContext().sslPeerCertificate));
    if (!checked.ok) this.refusals.counts.peerIdentity += 1;
    return checked;
  }

  private rejectBatch(peer: NodeId, reason: string): void {
    this.rejectedBatches += 1;
    this.options.warnings.warn(`batch:${peer}`, { peer, reason }, 'dropped peer batch');
  }

  private onBatch(streamPeer: NodeId, bytes: Buffer): void {
    if (this.isClosed) return;
    let wire: unknown;
    try {
      wire = this.proto.deserializeBatch(bytes);
    } catch {
      return this.rejectBatch(streamPeer, 'Cannot decode peer batch: not a MessageBatch');
    }
    const batch = decodeBatch(wire);
    if (!batch.ok) return this.rejectBatch(streamPeer, batch.reason);
    if (batch.from !== streamPeer) return this.rejectBatch(streamPeer, `Cannot accept peer batch: from node "${batch.from}" on the stream of node "${streamPeer}"`);
    const slot = this.options.slot(streamPeer);
    if (slot === undefined) return this.rejectBatch(streamPeer, `Cannot accept peer batch: node "${streamPeer}" is no longer a peer`);
    slot.counters.batchesReceived += 1;
    slot.counters.bytesReceived += bytes.byteLength;
    for (const item of batch.messages) {
      const decoded = this.refusals.admit(decodeMessage(item), streamPeer, this.options.local.self, slot.counters);
      if (decoded === undefined) continue;
      slot.counters.messagesReceived += 1;
      if (!this.options.deliver(decoded.group, decoded.message)) return;
    }
  }
}
