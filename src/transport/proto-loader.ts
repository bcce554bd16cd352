/**
 * Loads proto/raftkv/v1/*.proto at run time with @grpc/proto-loader (no generated code) and hands
 * out the RaftTransport (de)serializers and the Kv service definition.
 *
 * The load options are a contract for every module that touches wire objects:
 * - `keepCase: false`: fields are camelCase (`fromNode`, `prevLogIndex`), as the rest of our TS.
 *   The oneof member names in raft.proto then equal the `RaftMessage` type tags (`append_entries` is
 *   read as `appendEntries`), which the codec relies on.
 * - `longs: String`: uint64 arrives as a decimal string, never a lossy number; decoders turn it
 *   into a safe integer or reject it (STYLE §6). The peer protocol is the exception (numbers, see
 *   `loadRaftProto`): there a lossy number is always an unsafe one, which the codec rejects too.
 * - `enums: String`: enum values read as their names (`ENTRY_TYPE_NORMAL`), stable across
 *   renumbering mistakes and readable in logs.
 * - `bytes` left at its default: bytes arrive as Node Buffers (a Uint8Array subclass); encoders may
 *   pass plain Uint8Arrays.
 * - `defaults: true`: absent scalars read as their zero value, so a decoder never meets
 *   `undefined` for a scalar; absent sub-messages read as null.
 * - `oneofs: true`: a virtual field names the member set in each oneof (`body: 'heartbeat'`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { assert } from '../shared/assert.js';

export const protoLoadOptions = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

export const RAFT_PROTO_FILE = 'raftkv/v1/raft.proto';
export const KV_PROTO_FILE = 'raftkv/v1/kv.proto';
export const CLUSTER_PROTO_FILE = 'raftkv/v1/cluster.proto';

const RAFT_SERVICE = 'raftkv.raft.v1.RaftTransport';
const KV_SERVICE = 'raftkv.v1.Kv';
const CLUSTER_SERVICE = 'raftkv.v1.Cluster';

/**
 * This file sits at src/transport/ under tsx and at dist/transport/ after `tsc -p
 * tsconfig.build.json` (rootDir src), both two levels below the package root. A build with the
 * root tsconfig (rootDir = the package root) puts it at dist/src/transport/, three levels down.
 */
const protoRootCandidates = ['../../proto/', '../../../proto/'];

let cachedRoot: string | undefined;

/** The directory holding `raftkv/v1/*.proto`; the include path for proto imports. */
export function protoRootDir(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const tried: string[] = [];
  for (const relative of protoRootCandidates) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    tried.push(dir);
    if (existsSync(join(dir, RAFT_PROTO_FILE))) {
      cachedRoot = dir;
      return dir;
    }
  }
  // Not an operating error: a build or package that ships without proto/ cannot run at all.
  assert(false, `Cannot find ${RAFT_PROTO_FILE}: looked in ${tried.map((dir) => `"${dir}"`).join(', ')}`);
}

let cachedDefinition: protoLoader.PackageDefinition | undefined;

/** The client-facing protos (Kv, Cluster), loaded once per process; raft.proto: loadRaftProto. */
export function loadProtos(): protoLoader.PackageDefinition {
  cachedDefinition ??= protoLoader.loadSync([KV_PROTO_FILE, CLUSTER_PROTO_FILE], {
    ...protoLoadOptions,
    includeDirs: [protoRootDir()],
  });
  return cachedDefinition;
}

function isServiceDefinition(definition: protoLoader.AnyDefinition): definition is protoLoader.ServiceDefinition {
  // Message and enum definitions carry a `format` tag; services are plain method maps.
  return !('format' in definition) || typeof definition.format !== 'string';
}

let cachedRaftDefinition: protoLoader.PackageDefinition | undefined;

/**
 * The peer protocol alone, with uint64 as numbers: a message carries many indexes and terms, and
 * a string per field cost the decoder of every follower about a microsecond per entry. Still
 * exact: protobufjs rounds values of 2^53 and above, which are never safe integers, so the codec's
 * check (wire-reader.ts) refuses them just as it refuses such strings.
 */
function loadRaftProto(): protoLoader.PackageDefinition {
  cachedRaftDefinition ??= protoLoader.loadSync([RAFT_PROTO_FILE], { ...protoLoadOptions, longs: Number, includeDirs: [protoRootDir()] });
  return cachedRaftDefinition;
}

function service(name: string, definitions = loadProtos()): protoLoader.ServiceDefinition {
  const definition = definitions[name];
  assert(definition !== undefined, `Service ${name} is missing from the loaded protos`);
  assert(isServiceDefinition(definition), `${name} is not a service`);
  return definition;
}

function method(serviceName: string, methodName: string, definitions = loadProtos()): protoLoader.MethodDefinition<object, object> {
  const definition = service(serviceName, definitions)[methodName];
  assert(definition !== undefined, `Method ${serviceName}.${methodName} is missing from the loaded protos`);
  return definition;
}

/**
 * What a server-side request deserializer returns for bytes that are not a valid message. grpc-js
 * answers a deserializer that throws with INTERNAL, which our error table reserves for "the server
 * is about to exit"; returning this marker instead lets the handler answer INVALID_ARGUMENT
 * (rpc.ts `checkedRequest`, hello.ts `admitHello`) and the server keeps serving.
 */
export class UndecodableRequest {
  constructor(
    /** E.g. `Cannot decode the Put request: its bytes are not a valid message (invalid wire type 7 at offset 1)`. */
    readonly reason: string,
  ) {}
}

/** `deserialize` of method `method`'s request, answering UndecodableRequest instead of throwing. */
export function tolerantDeserializer(method: string, deserialize: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return deserialize(bytes);
    } catch (error) {
      // protobufjs's messages name offsets and wire types, never the bytes themselves.
      const why = error instanceof Error ? ` (${error.message})` : '';
      return new UndecodableRequest(`Cannot decode the ${method} request: its bytes are not a valid message${why}`);
    }
  };
}

/** `definition` with every request deserializer made tolerant (see UndecodableRequest). */
function tolerantService(definition: protoLoader.ServiceDefinition): protoLoader.ServiceDefinition {
  const methods = Object.entries(definition).map(([name, m]) => [name, { ...m, requestDeserialize: tolerantDeserializer(name, m.requestDeserialize) }]);
  return Object.fromEntries(methods) as protoLoader.ServiceDefinition;
}

/** The public Kv service, for `server.addService(kvServiceDefinition(), handlers)`. */
export function kvServiceDefinition(): protoLoader.ServiceDefinition {
  return tolerantService(service(KV_SERVICE));
}

/** Node-to-node calls served on the peer port (raft.proto): the Cluster messages at RaftTransport paths. */
export const PEER_CALLS = ['GroupHashes', 'ListAlarms'] as const;
export type PeerCallName = (typeof PEER_CALLS)[number];

/**
 * The peer port's node-to-node calls. Their codecs come from cluster.proto as loaded for clients
 * (uint64 as decimal strings), so a reply built for the Cluster method serves here unchanged.
 */
export function peerCallsDefinition(): protoLoader.ServiceDefinition {
  const methods = PEER_CALLS.map((name) => [name, { ...method(CLUSTER_SERVICE, name), path: `/${RAFT_SERVICE}/${name}` }]);
  return tolerantService(Object.fromEntries(methods) as protoLoader.ServiceDefinition);
}

/** The operator's Cluster service (membership, leadership, snapshots). */
export function clusterServiceDefinition(): protoLoader.ServiceDefinition {
  return tolerantService(service(CLUSTER_SERVICE));
}

/**
 * RaftTransport paths and (de)serializers. Deserializers return `unknown`: what a peer sent is
 * narrowed by the codec, never trusted by type. They throw on bytes that are not protobuf, except
 * `deserializeHelloRequest` (the server side of Hello), which answers UndecodableRequest.
 */
export interface RaftTransportProto {
  readonly helloPath: string;
  readonly streamPath: string;
  serializeHelloRequest(value: object): Buffer;
  deserializeHelloRequest(bytes: Buffer): unknown;
  serializeHelloResponse(value: object): Buffer;
  deserializeHelloResponse(bytes: Buffer): unknown;
  serializeBatch(value: object): Buffer;
  deserializeBatch(bytes: Buffer): unknown;
}

let cachedRaft: RaftTransportProto | undefined;

export function raftTransportProto(): RaftTransportProto {
  if (cachedRaft !== undefined) return cachedRaft;
  const hello = method(RAFT_SERVICE, 'Hello', loadRaftProto());
  const stream = method(RAFT_SERVICE, 'Stream', loadRaftProto());
  assert(stream.requestStream && stream.responseStream, 'RaftTransport.Stream must be bidirectional');
  cachedRaft = {
    helloPath: hello.path,
    streamPath: stream.path,
    serializeHelloRequest: (value) => hello.requestSerialize(value),
    deserializeHelloRequest: tolerantDeserializer('Hello', (bytes) => hello.requestDeserialize(bytes)),
    serializeHelloResponse: (value) => hello.responseSerialize(value),
    deserializeHelloResponse: (bytes) => hello.responseDeserialize(bytes),
    serializeBatch: (value) => stream.requestSerialize(value),
    deserializeBatch: (bytes) => stream.requestDeserialize(bytes),
  };
  return cachedRaft;
}
