// Goal: speak the peer protocol as a member would, for tests and the Jepsen-style `forge` nemesis:
// open a RaftTransport Stream to a node with the `raftkv-node-id`/`raftkv-cluster-id` metadata of a
// real member (the only credentials peers have today) and write whatever MessageBatch, or raw
// bytes, the caller built. Nothing here checks what it sends: that is the point.
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_ID_HEADER, NODE_ID_HEADER } from '../../src/transport/hello.js';
import { raftTransportProto } from '../../src/transport/proto-loader.js';

const proto = raftTransportProto();
const passBytes = (bytes: Buffer): Buffer => bytes;

/** A GroupMessage in the proto-loader object shape; uint64 fields as decimal strings or numbers. */
export type ForgedMessage = Readonly<Record<string, unknown>>;

export class PeerForger {
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<Buffer, Buffer> | null = null;
  /** How the last stream ended (a refusal, or a failed TLS handshake), if one has. */
  lastStatus: grpc.StatusObject | null = null;

  /**
   * Talks to the node's peer port at `address` as member `asNode` of cluster `clusterId`, in
   * plaintext or with the `credentials` given (e.g. a stolen or wrong certificate).
   */
  constructor(address: string, private readonly asNode: number, private readonly clusterId = 'raftkv',
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    this.client = new grpc.Client(address, credentials);
  }

  /** Serializes a MessageBatch from the forged member and writes it. */
  sendBatch(messages: readonly ForgedMessage[], fromNode: number | string = this.asNode): void {
    this.sendBytes(proto.serializeBatch({ fromNode, messages }));
  }

  sendBytes(bytes: Buffer): void {
    this.stream().write(bytes);
  }

  close(): void {
    this.call?.end();
    this.call = null;
    this.client.close();
  }

  private stream(): grpc.ClientDuplexStream<Buffer, Buffer> {
    if (this.call !== null) return this.call;
    const metadata = new grpc.Metadata();
    metadata.set(CLUSTER_ID_HEADER, this.clusterId);
    metadata.set(NODE_ID_HEADER, String(this.asNode));
    const call = this.client.makeBidiStreamRequest(proto.streamPath, passBytes, passBytes, metadata, {});
    call.on('data', () => undefined);
    // A refused or broken stream is reopened on the next send.
    call.on('error', () => undefined);
    call.on('status', (status: grpc.StatusObject) => {
      this.lastStatus = status;
      if (this.call === call) this.call = null;
    });
    this.call = call;
    return call;
  }
}

/** uint64 fields go over the wire as decimal strings: exact for every value up to 2^64 - 1. */
export const u64 = (n: number | bigint): string => BigInt(n).toString();

export interface Envelope {
  readonly group: number;
  readonly from: number;
  readonly to: number;
  readonly term: number | bigint;
}

const envelope = (e: Envelope): ForgedMessage => ({ groupId: u64(e.group), from: u64(e.from), to: u64(e.to), term: u64(e.term) });

/** Any body member by name (camelCase, as in GroupMessage.body), with its fields as given. */
export function forgedBody(e: Envelope, name: string, body: Readonly<Record<string, unknown>>): ForgedMessage {
  return { ...envelope(e), [name]: body };
}

export function forgedHeartbeat(e: Envelope, commit: number | bigint = 0): ForgedMessage {
  return { ...envelope(e), heartbeat: { commit: u64(commit), readSeq: '0', quiesce: false } };
}

export function forgedAppend(e: Envelope, fields: { prevLogIndex: number | bigint; prevLogTerm: number | bigint; commit: number | bigint; entries?: readonly ForgedMessage[] }): ForgedMessage {
  const { prevLogIndex, prevLogTerm, commit, entries = [] } = fields;
  return { ...envelope(e), appendEntries: { prevLogIndex: u64(prevLogIndex), prevLogTerm: u64(prevLogTerm), entries, commit: u64(commit) } };
}

export function forgedVoteRequest(e: Envelope, fields: { lastLogIndex: number | bigint; lastLogTerm: number | bigint; preVote: boolean; transfer: boolean }): ForgedMessage {
  return { ...envelope(e), requestVote: { ...fields, lastLogIndex: u64(fields.lastLogIndex), lastLogTerm: u64(fields.lastLogTerm) } };
}

export function forgedEntry(index: number | bigint, term: number | bigint, data: Uint8Array = new Uint8Array(0), type = 'ENTRY_TYPE_NORMAL'): ForgedMessage {
  return { index: u64(index), term: u64(term), type, data };
}
