/**
 * The gRPC plumbing both benchmark targets share, so raftkv and etcd are driven through the same
 * client code: methods come from a .proto via proto-loader, calls are plain grpc-js unary requests
 * on a small set of channels per endpoint, picked round-robin. Each channel gets its own TCP
 * connection (`grpc.use_local_subchannel_pool`), since grpc-js otherwise shares one subchannel
 * between channels to the same address and `--connections` would mean nothing.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export type Message = Record<string, unknown>;

export interface UnaryMethod {
  readonly path: string;
  readonly serialize: (message: Message) => Buffer;
  readonly deserialize: (bytes: Buffer) => Message;
}

/** Same decoding choices as the server (STYLE.md §6): 64-bit integers as strings, enums as names. */
const loaderOptions: protoLoader.Options = { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true };

function isMethodDefinition(value: unknown): value is protoLoader.MethodDefinition<Message, Message> {
  return typeof value === 'object' && value !== null && 'path' in value && 'requestSerialize' in value;
}

/** The unary methods of `service` (e.g. "etcdserverpb.KV") declared in `file` under `includeDir`. */
export function loadUnaryMethods(includeDir: string, file: string, service: string): ReadonlyMap<string, UnaryMethod> {
  const definition = protoLoader.loadSync(file, { ...loaderOptions, includeDirs: [includeDir] });
  const entry = definition[service];
  if (entry === undefined) throw new Error(`Cannot find service "${service}" in ${file}`);
  const methods = new Map<string, UnaryMethod>();
  for (const [name, method] of Object.entries(entry)) {
    if (!isMethodDefinition(method)) continue;
    methods.set(name, { path: method.path, serialize: method.requestSerialize, deserialize: method.responseDeserialize });
  }
  return methods;
}

export function requireMethod(methods: ReadonlyMap<string, UnaryMethod>, name: string): UnaryMethod {
  const method = methods.get(name);
  if (method === undefined) throw new Error(`Cannot find gRPC method "${name}"`);
  return method;
}

/** Set (to 1) by `bench/run.ts --tls`; inherited by the generator processes. */
export const BENCH_TLS_ENV = 'RAFTKV_BENCH_TLS';

/**
 * TLS without verifying the server: the bench measures what encryption costs, and its throwaway
 * certificates would otherwise have to reach every generator process.
 */
function benchCredentials(): grpc.ChannelCredentials {
  return process.env[BENCH_TLS_ENV] === '1' ? grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }) : grpc.credentials.createInsecure();
}

/** Upper bound on channels per endpoint, so a typo cannot open thousands of sockets. */
export const connectionsMax = 64;

export class GrpcEndpoint {
  private readonly channels: grpc.Client[] = [];
  private nextChannel = 0;

  constructor(readonly address: string, connections: number) {
    const count = Math.max(1, Math.min(connectionsMax, connections));
    for (let i = 0; i < count; i++) {
      this.channels.push(new grpc.Client(address, benchCredentials(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
        'grpc.enable_channelz': 0, // per-call statistics nothing reads: generator CPU, same for both targets
      }));
    }
  }

  /** One unary call; rejects with the grpc-js ServiceError, which the target's classifier reads. */
  call(method: UnaryMethod, request: Message, deadlineMs: number): Promise<Message> {
    const channel = this.channels[this.nextChannel];
    this.nextChannel = (this.nextChannel + 1) % this.channels.length;
    if (channel === undefined) return Promise.reject(new Error('GrpcEndpoint has no channel'));
    return new Promise((resolve, reject) => {
      channel.makeUnaryRequest(method.path, method.serialize, method.deserialize, request, new grpc.Metadata(),
        { deadline: Date.now() + deadlineMs }, (error, response) => {
          if (error !== null) reject(error);
          else resolve(response ?? {});
        });
    });
  }

  close(): void {
    for (const channel of this.channels) channel.close();
  }
}

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';
}

/** "UNAVAILABLE" for 14, and so on. */
export function statusName(code: number): string {
  const entry = Object.entries(grpc.status).find(([, value]) => value === code);
  return entry === undefined ? `STATUS_${code}` : entry[0];
}
