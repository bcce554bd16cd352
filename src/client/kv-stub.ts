/**
 * The thinnest client of the Kv service: one connection to one endpoint, promise-returning calls
 * with a deadline and an optional AbortSignal, and errors decoded from the kv-* trailers back into
 * the error catalogue. The SDK (kv-client.ts) adds routing and retries on top; tests and
 * benchmarks use this directly when they want to talk to one node.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { KV_ERROR_CODES, KvError, type KvErrorCode, type KvErrorDetails } from '../shared/errors.js';

export type KvMethod = 'Put' | 'Get' | 'Delete' | 'Range' | 'Txn' | 'BatchPut' | 'Status';
export type Message = Record<string, unknown>;

export interface CallOptions {
  readonly deadlineMs: number;
  readonly signal?: AbortSignal;
}

type Unary = (request: Message, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, value?: Message) => void) => grpc.ClientUnaryCall;
type KvClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => grpc.Client & Record<KvMethod, Unary>;

let cachedConstructor: KvClientConstructor | undefined;

function kvClientConstructor(): KvClientConstructor {
  if (cachedConstructor !== undefined) return cachedConstructor;
  const candidates = ['../../proto/', '../../../proto/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const root = candidates.find((dir) => existsSync(`${dir}raftkv/v1/kv.proto`));
  if (root === undefined) throw new Error(`Cannot find proto/raftkv/v1/kv.proto (looked in ${candidates.join(', ')})`);
  const definition = protoLoader.loadSync('raftkv/v1/kv.proto', { includeDirs: [root], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { raftkv: { v1: { Kv: KvClientConstructor } } };
  cachedConstructor = loaded.raftkv.v1.Kv;
  return cachedConstructor;
}

/** Rebuilds a KvError from a gRPC status and its kv-* trailers. */
export function kvErrorFromStatus(err: grpc.ServiceError): KvError {
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
  const error = new KvError(code, err.details || err.message, details);
  return Object.assign(error, { grpcCode: err.code });
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
    default:
      return 'INTERNAL';
  }
}

export class KvStub {
  private readonly client: grpc.Client & Record<KvMethod, Unary>;

  constructor(readonly address: string, options: grpc.ClientOptions = {}) {
    const Client = kvClientConstructor();
    this.client = new Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      ...options,
    });
  }

  call(method: KvMethod, request: Message, options: CallOptions): Promise<Message> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted === true) {
        reject(new KvError('TIMEOUT', `Cannot call ${method}: aborted before it started`));
        return;
      }
      const deadline = Date.now() + options.deadlineMs;
      const call = this.client[method](request, new grpc.Metadata(), { deadline }, (err, value) => {
        options.signal?.removeEventListener('abort', abort);
        if (err !== null) reject(kvErrorFromStatus(err));
        else resolve(value ?? {});
      });
      const abort = (): void => call.cancel();
      options.signal?.addEventListener('abort', abort, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}
