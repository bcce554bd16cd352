/**
 * One KvStub (one gRPC channel) per address, made on first use: the configured endpoints plus any
 * leader address learnt from a hint (a node added after the client was configured). Round-robin
 * over the configured endpoints picks where to send calls that may go anywhere.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ClientTls } from './client-tls.js';
import { KvClientError } from './errors.js';
import { KvStub } from './kv-stub.js';
import type { CallAuth } from './credentials.js';

/** Channel options: reconnect quickly after a node restarts instead of grpc's 1 s..120 s default. */
const channelOptions: grpc.ClientOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // channelz keeps per-call statistics that nothing reads: CPU on every call.
  'grpc.enable_channelz': 0,
};

/** Bound on channels to addresses learnt from hints (beyond the configured endpoints). */
const LEARNT_ADDRESSES_MAX = 64;

export class EndpointPool {
  private readonly stubs = new Map<string, KvStub>();
  private cursor = 0;
  private closed = false;

  constructor(
    readonly endpoints: readonly string[],
    /** Adds the caller's credentials to every call (credentials.ts); absent without auth. */
    private readonly auth?: CallAuth,
    readonly tls?: ClientTls,
  ) {}

  stub(address: string): KvStub {
    if (this.closed) throw new KvClientError('INVALID_ARGUMENT', 'Cannot call: the client is closed');
    const existing = this.stubs.get(address);
    if (existing !== undefined) return existing;
    if (!this.endpoints.includes(address) && this.stubs.size >= this.endpoints.length + LEARNT_ADDRESSES_MAX) this.dropLearnt();
    const stub = new KvStub(address, channelOptions, this.auth, this.tls);
    this.stubs.set(address, stub);
    return stub;
  }

  /** Starts connecting to `address` (a channel to it is made if needed) without sending a call. */
  connect(address: string): void {
    if (!this.closed) this.stub(address).connect();
  }

  /** The next configured endpoint in round-robin order. */
  next(): string {
    const address = this.endpoints[this.cursor % this.endpoints.length];
    this.cursor = (this.cursor + 1) % this.endpoints.length;
    if (address === undefined) throw new KvClientError('INVALID_ARGUMENT', 'Cannot call: the client has no endpoints');
    return address;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  private dropLearnt(): void {
    for (const [address, stub] of this.stubs) {
      if (this.endpoints.includes(address)) continue;
      stub.close();
      this.stubs.delete(address);
      return;
    }
  }
}
