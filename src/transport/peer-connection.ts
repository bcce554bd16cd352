/**
 * The outbound side for one peer: one grpc-js channel, one long-lived RaftTransport.Stream, and the
 * loop that keeps it up (thesis §3.1: the network may lose messages; Raft only needs us to keep
 * trying). States:
 *
 *   idle --(messages queued)--> connecting --(Hello ok)--> open --(stream ends/fails)--> backoff
 *   backoff --(timer)--> idle, and straight on to connecting if messages wait.
 *
 * Messages wait in the peer's bounded queue while not open. Batches already written to a stream
 * that then fails are lost; Raft resends what it still needs.
 */
import * as grpc from '@grpc/grpc-js';
import { assert } from '../shared/assert.js';
import type { NodeId } from '../shared/ids.js';
import { encodeBatch } from './codec.js';
import { checkHelloResponse, helloRequest, streamMetadata, type LocalIdentity } from './hello.js';
import type { PeerSlot } from './outbox.js';
import type { PeerTransportLimits, TransportLogger } from './peer-transport.js';
import { raftTransportProto, type RaftTransportProto } from './proto-loader.js';
import { reconnectDelayMs } from './backoff.js';
import type { WarnLimiter } from './warn-limiter.js';

export interface PeerConnectionOptions {
  readonly local: LocalIdentity;
  readonly peer: NodeId;
  readonly slot: PeerSlot;
  readonly limits: PeerTransportLimits;
  readonly logger: TransportLogger;
  readonly warnings: WarnLimiter;
  readonly credentials: grpc.ChannelCredentials;
  /** [0, 1), for backoff jitter. */
  readonly random: () => number;
}

type State = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/** Codes that mean "wrong peer or wrong config", not "peer down": a human must act. */
const misconfiguredCodes: ReadonlySet<number> = new Set([grpc.status.FAILED_PRECONDITION, grpc.status.PERMISSION_DENIED, grpc.status.INVALID_ARGUMENT]);

const passBytes = (bytes: Buffer): Buffer => bytes;

export class PeerConnection {
  private state: State = 'idle';
  private client: grpc.Client;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Failed attempts since the last successful Hello; drives the backoff. */
  private failures = 0;
  /** Bumped whenever an attempt is abandoned, so its late callbacks do nothing. */
  private generation = 0;
  private hasConnected = false;
  /** False after a write hit grpc's buffer limit, until 'drain'. */
  private isWritable = true;
  private readonly proto: RaftTransportProto = raftTransportProto();

  constructor(
    private address: string,
    private readonly options: PeerConnectionOptions,
  ) {
    this.client = this.newClient();
  }

  get isConnected(): boolean {
    return this.state === 'open';
  }

  /** Writes queued messages if the stream is open and writable; dials if idle. */
  flush(): void {
    const { queue } = this.options.slot;
    if (this.state === 'idle' && queue.length > 0) this.connect();
    if (this.state !== 'open' || !this.isWritable) return;
    const call = this.call;
    assert(call !== null, 'An open peer connection has no stream');
    const { batchMessagesMax, batchBytesMax } = this.options.limits;
    const counters = this.options.slot.counters;
    while (queue.length > 0) {
      const batch = queue.takeBatch(batchMessagesMax, batchBytesMax);
      const bytes = this.proto.serializeBatch(encodeBatch(this.options.local.self, batch.map((item) => item.wire)));
      counters.messagesSent += batch.length;
      counters.batchesSent += 1;
      counters.bytesSent += bytes.byteLength;
      if (!call.write(bytes)) {
        this.isWritable = false;
        return;
      }
    }
  }

  /** Points the connection at a new address: drops the current stream and redials if needed. */
  setAddress(address: string): void {
    if (address === this.address || this.state === 'closed') return;
    this.options.logger.info({ peer: this.options.peer, address }, 'peer address changed');
    this.address = address;
    this.teardown();
    this.client = this.newClient();
    this.failures = 0;
    this.state = 'idle';
    this.flush();
  }

  close(): void {
    this.teardown();
    this.state = 'closed';
  }

  private newClient(): grpc.Client {
    const { limits } = this.options;
    return new grpc.Client(this.address, this.options.credentials, {
      // grpc-js redials a failed connection on its own schedule; keep it within ours.
      'grpc.initial_reconnect_backoff_ms': limits.reconnectDelayMsMin,
      'grpc.max_reconnect_backoff_ms': limits.reconnectDelayMsMax,
      'grpc.keepalive_time_ms': limits.keepaliveMs,
      'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
      'grpc.keepalive_permit_without_calls': 1,
      // Our own channel: no connection (and no backoff state) shared with other clients of the address.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_channelz': 0, // per-call statistics nothing reads
    });
  }

  private teardown(): void {
    this.generation += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const call = this.call;
    this.call = null;
    call?.cancel();
    this.client.close();
  }

  private connect(): void {
    this.state = 'connecting';
    const generation = ++this.generation;
    const { local, peer, limits } = this.options;
    const callOptions: grpc.CallOptions = { deadline: Date.now() + limits.helloDeadlineMs };
    // Wait for the TCP connection (up to the deadline) instead of failing at once while grpc-js is
    // between its own redials: the Hello then goes out as soon as the peer is back.
    const metadata = new grpc.Metadata({ waitForReady: true });
    this.client.makeUnaryRequest(
      this.proto.helloPath,
      (value: object) => this.proto.serializeHelloRequest(value),
      (bytes: Buffer) => this.proto.deserializeHelloResponse(bytes),
      helloRequest(local),
      metadata,
      callOptions,
      (error, response) => {
        if (generation !== this.generation) return;
        if (error !== null) return this.onHelloFailed(error);
        const refusal = checkHelloResponse(response, peer, this.address, local);
        if (refusal !== null) {
          this.options.warnings.error(`hello:${peer}`, { peer, address: this.address, reason: refusal }, 'peer refused: wrong node or cluster');
          return this.retryLater();
        }
        this.openStream();
      },
    );
  }

  private onHelloFailed(error: grpc.ServiceError): void {
    const { peer, warnings, logger } = this.options;
    const fields = { peer, address: this.address, code: grpc.status[error.code], err: error };
    if (misconfiguredCodes.has(error.code)) warnings.error(`hello:${peer}`, fields, 'peer refused hello');
    else if (this.failures === 0) warnings.warn(`down:${peer}`, fields, 'cannot reach peer');
    else logger.debug(fields, 'cannot reach peer');
    this.retryLater();
  }

  private openStream(): void {
    const { local, peer, slot, logger } = this.options;
    const call = this.client.makeBidiStreamRequest(this.proto.streamPath, passBytes, passBytes, streamMetadata(local), {});
    // The receiver writes nothing back today; reading anyway lets 'status' arrive when it ends.
    call.on('data', () => undefined);
    // grpc-js emits 'error' before 'status' for a failed call; 'status' alone drives the reconnect.
    call.on('error', () => undefined);
    call.on('status', (status: grpc.StatusObject) => this.onStreamClosed(call, status));
    call.on('drain', () => {
      if (call !== this.call) return;
      this.isWritable = true;
      this.flush();
    });
    this.call = call;
    this.state = 'open';
    this.isWritable = true;
    this.failures = 0;
    if (this.hasConnected) slot.counters.reconnects += 1;
    this.hasConnected = true;
    logger.info({ peer, address: this.address }, 'connected to peer');
    this.flush();
  }

  private onStreamClosed(call: grpc.ClientDuplexStream<Buffer, Buffer>, status: grpc.StatusObject): void {
    if (call !== this.call) return; // Replaced or torn down on purpose.
    this.call = null;
    const { peer, warnings } = this.options;
    warnings.warn(`down:${peer}`, { peer, address: this.address, code: grpc.status[status.code], details: status.details }, 'peer stream closed');
    this.retryLater();
  }

  private retryLater(): void {
    this.state = 'backoff';
    const { reconnectDelayMsMin, reconnectDelayMsMax } = this.options.limits;
    const delayMs = reconnectDelayMs(this.failures, reconnectDelayMsMin, reconnectDelayMsMax, this.options.random);
    this.failures += 1;
    const generation = this.generation;
    this.timer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.timer = null;
      this.state = 'idle';
      this.flush();
    }, delayMs);
  }
}
