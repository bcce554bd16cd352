/**
 * The thinnest client of one raftkv endpoint: one channel, the Kv and Cluster services on it,
 * promise-returning unary calls with a deadline and an optional AbortSignal, the SnapshotSave
 * stream as an async iterable, and errors decoded from the kv-* trailers back into the error
 * catalogue. The SDK (kv-client.ts) adds routing and retries on top; tests and benchmarks use this
 * directly when they want to talk to one node.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { KV_ERROR_CODES, type KvErrorCode, type KvErrorDetails } from '../shared/errors.js';
import type { CallAuth } from './credentials.js';
import { channelCredentials, type ClientTls } from './client-tls.js';
import { GRPC_STATUS, KvClientError } from './errors.js';
import { probeTls, TLS_PROBE_TIMEOUT_MS, type TlsProbe } from './tls-probe.js';

export type KvMethod = 'Put' | 'Get' | 'Delete' | 'Range' | 'Txn' | 'BatchPut' | 'Status';
export type ClusterMethod = 'MemberList' | 'MemberAdd' | 'MemberPromote' | 'MemberRemove' | 'LeaderTransfer' | 'ShardMap' | 'NodeStats'
  | 'NodeJoin' | 'NodeDecommission' | 'BalancerPause' | 'ReplicaMove' | 'Split' | 'ListAlarms' | 'DisarmAlarm' | 'GroupHashes'
  | 'Authenticate' | 'AuthStatus' | 'AuthChange' | 'AuthList';
export type Message = Record<string, unknown>;

export interface CallOptions {
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
}

type Callback = (err: grpc.ServiceError | null, value?: Message) => void;
type Unary = (request: Message, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback) => grpc.ClientUnaryCall;
type ServerStream = (request: Message, metadata: grpc.Metadata, options: grpc.CallOptions) => grpc.ClientReadableStream<Message>;
type ServiceClient<M extends string> = grpc.Client & Record<M, Unary>;
type Constructor<C> = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C;
type ClusterClient = ServiceClient<ClusterMethod> & { SnapshotSave: ServerStream };

interface Constructors {
  readonly kv: Constructor<ServiceClient<KvMethod>>;
  readonly cluster: Constructor<ClusterClient>;
}

let cachedConstructors: Constructors | undefined;

function constructors(): Constructors {
  if (cachedConstructors !== undefined) return cachedConstructors;
  const candidates = ['../../proto/', '../../../proto/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const root = candidates.find((dir) => existsSync(`${dir}raftkv/v1/cluster.proto`));
  if (root === undefined) throw new Error(`Cannot find proto/raftkv/v1/cluster.proto (looked in ${candidates.join(', ')})`);
  const definition = protoLoader.loadSync(['raftkv/v1/kv.proto', 'raftkv/v1/cluster.proto'], {
    includeDirs: [root], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    raftkv: { v1: { Kv: Constructors['kv']; Cluster: Constructors['cluster'] } };
  };
  cachedConstructors = { kv: loaded.raftkv.v1.Kv, cluster: loaded.raftkv.v1.Cluster };
  return cachedConstructors;
}

/** Rebuilds a KvError from a gRPC status and its kv-* trailers. */
export function kvErrorFromStatus(err: grpc.ServiceError): KvClientError {
  const md = err.metadata?.getMap() ?? {};
  const text = (key: string): string | undefined => (md[key] === undefined ? undefined : String(md[key]));
  const num = (key: string): number | undefined => (text(key) === undefined ? undefined : Number(text(key)));
  const fromTrailer = text('kv-error');
  const code: KvErrorCode = KV_ERROR_CODES.find((c) => c === fromTrailer) ?? codeOfStatus(err.code);
  const details: KvErrorDetails = {
    ...(num('kv-group') === undefined ? {} : { group: num('kv-group') }),
    ...(num('kv-term') === undefined ? {} : { term: num('kv-term') }),
    ...(num('kv-leader-id') === undefined ? {} : { leaderId: num('kv-leader-id') }),
    ...(text('kv-leader-addr') === undefined ? {} : { leaderAddr: text('kv-leader-addr') }),
    ...(text('kv-field') === undefined ? {} : { field: text('kv-field') }),
    ...(num('kv-ring-epoch') === undefined ? {} : { ringEpoch: num('kv-ring-epoch') }),
    ...(num('kv-current-version') === undefined ? {} : { currentVersion: num('kv-current-version') }),
  } as KvErrorDetails;
  const message = err.details || err.message;
  // grpc-js fails a call at once with this text when the channel has no connection: the request
  // was never written to any socket, so even a write without a session may be sent again.
  const neverSent = err.code === grpc.status.UNAVAILABLE && fromTrailer === undefined && message.startsWith('No connection established');
  return new KvClientError(code, message, { details, grpcCode: err.code, fromServer: fromTrailer !== undefined, neverSent });
}

function codeOfStatus(code: grpc.status): KvErrorCode {
  switch (code) {
    case grpc.status.DEADLINE_EXCEEDED:
    case grpc.status.CANCELLED:
      return 'TIMEOUT';
    case grpc.status.UNAVAILABLE:
      return 'NO_LEADER';
    case grpc.status.RESOURCE_EXHAUSTED:
      return 'OVERLOADED';
    case grpc.status.INVALID_ARGUMENT:
      return 'INVALID_ARGUMENT';
    case grpc.status.FAILED_PRECONDITION:
      return 'CAS_MISMATCH';
    case grpc.status.UNAUTHENTICATED:
      return 'UNAUTHENTICATED';
    case grpc.status.PERMISSION_DENIED:
      return 'PERMISSION_DENIED';
    default:
      return 'INTERNAL';
  }
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

function abortedBeforeStart(method: string): KvClientError {
  return new KvClientError('TIMEOUT', `Cannot call ${method}: aborted before it started`, { grpcCode: GRPC_STATUS.CANCELLED, neverSent: true });
}

/** A TLS probe's answer is reused this long, so a retry loop does not open a probe per attempt. */
const TLS_PROBE_REUSE_MS = 1_000;

interface ProbeState {
  readonly at: number;
  readonly result: Promise<TlsProbe>;
  settled: TlsProbe | undefined;
}

function delay(ms: number): Promise<undefined> {
  // Unref'd: a short-lived process (kvctl) need not wait for it to exit.
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}

export class KvStub {
  private readonly kv: ServiceClient<KvMethod>;
  private cluster: ClusterClient | undefined;
  private lastProbe: ProbeState | undefined;
  /** A call reached the node at least once (it answered, even with an error). */
  private hasConnected = false;
  private readonly credentials: grpc.ChannelCredentials;
  /** The PEM files behind the credentials, for explaining a failed handshake; undefined: plaintext. */
  private readonly tls: ClientTls | undefined;
  /** False for credentials given ready-made (a node's own): nothing to probe with. */
  private readonly canProbe: boolean;

  /** `tls` undefined: plaintext; ready-made credentials: a node calling another node. */
  constructor(readonly address: string, options: grpc.ClientOptions = {}, private readonly auth?: CallAuth, tls?: ClientTls | grpc.ChannelCredentials) {
    const Kv = constructors().kv;
    const ready = tls instanceof grpc.ChannelCredentials;
    this.credentials = ready ? tls : channelCredentials(tls);
    this.tls = ready ? undefined : tls;
    this.canProbe = !ready;
    this.kv = new Kv(address, this.credentials, {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      ...options,
    });
  }

  call(method: KvMethod, request: Message, options: CallOptions): Promise<Message> {
    return this.explained(unary(this.kv, method, request, options, this.auth), Date.now(), options);
  }

  /** A unary call of the Cluster service, on the same channel as the Kv calls. */
  callCluster(method: ClusterMethod, request: Message, options: CallOptions): Promise<Message> {
    return this.explained(unary(this.clusterClient(), method, request, options, this.auth), Date.now(), options);
  }

  /** One TLS connection to the node as this stub makes them: the server's CN, or why TLS fails. */
  probeTls(timeoutMs = TLS_PROBE_TIMEOUT_MS): Promise<TlsProbe> {
    return this.startProbe(timeoutMs).result;
  }

  private startProbe(timeoutMs = TLS_PROBE_TIMEOUT_MS): ProbeState {
    const now = Date.now();
    if (this.lastProbe === undefined || now - this.lastProbe.at > TLS_PROBE_REUSE_MS) {
      const state: ProbeState = { at: now, result: probeTls(this.address, this.tls, timeoutMs), settled: undefined };
      void state.result.then((probe) => (state.settled = probe));
      this.lastProbe = state;
    }
    return this.lastProbe;
  }

  /**
   * A call that could not connect gets the reason when it is TLS (a refused or untrusted
   * certificate, TLS on one side only) instead of grpc-js's bare "No connection established".
   * A stub that never reached its node waits for the probe (bounded by the call's deadline): the
   * settings are the likely cause. One that did reach it before does not: the node is more likely
   * down or cut off, and a probe of a cut-off node would hold up failover to another; it uses an
   * answer already there, which a retry a moment later finds.
   */
  private async explained(call: Promise<Message>, startedAt: number, options: CallOptions): Promise<Message> {
    try {
      const reply = await call;
      this.hasConnected = true;
      return reply;
    } catch (error) {
      if (error instanceof KvClientError && error.fromServer) this.hasConnected = true;
      if (!this.canProbe || !(error instanceof KvClientError) || !error.neverSent || error.grpcCode !== GRPC_STATUS.UNAVAILABLE) throw error;
      const state = this.startProbe();
      const remainingMs = options.deadlineMs - (Date.now() - startedAt);
      const probe = state.settled ?? (!this.hasConnected && remainingMs > 0 ? await Promise.race([state.result, delay(remainingMs)]) : undefined);
      if (probe?.failure === undefined) throw error;
      throw new KvClientError(error.code, `TLS handshake with ${this.address} failed: ${probe.failure}`, {
        details: error.details, grpcCode: GRPC_STATUS.UNAVAILABLE, neverSent: true, cause: error,
      });
    }
  }

  /** The SnapshotSave stream; `deadlineMs` bounds the whole transfer. Errors are KvClientErrors. */
  async *snapshotSave(request: Message, options: CallOptions): AsyncGenerator<Message> {
    if (options.signal?.aborted === true) throw abortedBeforeStart('SnapshotSave');
    const metadata = this.auth === undefined ? new grpc.Metadata() : await this.auth.metadata('SnapshotSave');
    const stream = this.clusterClient().SnapshotSave(request, metadata, { deadline: Date.now() + options.deadlineMs });
    const abort = (): void => stream.cancel();
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const chunk of stream) yield chunk as Message;
    } catch (error) {
      throw isServiceError(error) ? kvErrorFromStatus(error) : error;
    } finally {
      options.signal?.removeEventListener('abort', abort);
      stream.cancel();
    }
  }

  /** Starts connecting the channel if it is idle, so a later call need not wait for the connection. */
  connect(): void {
    this.kv.getChannel().getConnectivityState(true);
  }

  /** Closes the channel (shared by both services). */
  close(): void {
    this.kv.close();
  }

  private clusterClient(): ClusterClient {
    const Cluster = constructors().cluster;
    this.cluster ??= new Cluster(this.address, this.credentials, { channelOverride: this.kv.getChannel() });
    return this.cluster;
  }
}

async function unary<M extends string>(client: ServiceClient<M>, method: M, request: Message, options: CallOptions, auth: CallAuth | undefined): Promise<Message> {
  if (auth === undefined) return unaryWith(client, method, request, options, new grpc.Metadata());
  const metadata = auth.metadata(method);
  try {
    return await unaryWith(client, method, request, options, metadata instanceof grpc.Metadata ? metadata : await metadata);
  } catch (error) {
    auth.onFailed(error);
    throw error;
  }
}

function unaryWith<M extends string>(client: ServiceClient<M>, method: M, request: Message, options: CallOptions, metadata: grpc.Metadata): Promise<Message> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted === true) {
      reject(abortedBeforeStart(method));
      return;
    }
    const deadline = Date.now() + options.deadlineMs;
    const call = client[method](request, metadata, { deadline }, (err, value) => {
      options.signal?.removeEventListener('abort', abort);
      if (err !== null) reject(kvErrorFromStatus(err));
      else resolve(value ?? {});
    });
    const abort = (): void => call.cancel();
    options.signal?.addEventListener('abort', abort, { once: true });
  });
}
