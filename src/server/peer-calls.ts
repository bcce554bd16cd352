/**
 * Node-to-node calls on the peer port (GroupHashes, ListAlarms; raft.proto): the server side,
 * registered next to the Raft transport on the peer port's server, and the stub other nodes dial
 * it with. With mutual TLS the caller must be a configured peer by its certificate
 * (src/transport/peer-identity.ts); plaintext peer ports take anyone who reaches them, as the
 * Raft stream does.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../shared/ids.js';
import { certifiedPeer } from '../transport/peer-identity.js';
import { peerCallsDefinition, UndecodableRequest, type PeerCallName } from '../transport/proto-loader.js';
import type { Obj } from './rpc.js';

export interface PeerCallHandlers {
  readonly GroupHashes: (request: Obj) => Obj;
  readonly ListAlarms: (request: Obj) => Obj;
}

export interface PeerCallAccess {
  /** Mutual TLS: only a caller whose certificate names a configured peer is answered. */
  readonly certified: boolean;
  readonly isPeer: (node: NodeId) => boolean;
}

type Refusal = { code: grpc.status; details: string };

function refusalOf(call: grpc.ServerUnaryCall<unknown, Obj>, access: PeerCallAccess): Refusal | null {
  if (call.request instanceof UndecodableRequest) return { code: grpc.status.INVALID_ARGUMENT, details: call.request.reason };
  if (!access.certified) return null;
  const certified = certifiedPeer(call.getAuthContext().sslPeerCertificate);
  if (!certified.ok) return certified;
  if (!access.isPeer(certified.node)) {
    return { code: grpc.status.PERMISSION_DENIED, details: `Cannot answer peer call: its certificate (${certified.subject}) names node "${certified.node}", which is not a peer of this node` };
  }
  return null;
}

export function addPeerCalls(server: grpc.Server, handlers: PeerCallHandlers, access: PeerCallAccess): void {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(handlers) as PeerCallName[]) {
    implementation[name] = (call: grpc.ServerUnaryCall<unknown, Obj>, callback: grpc.sendUnaryData<Obj>) => {
      const refusal = refusalOf(call, access);
      if (refusal !== null) return callback(refusal);
      callback(null, handlers[name](call.request as Obj));
    };
  }
  server.addService(peerCallsDefinition(), implementation);
}

/** A channel to one node's peer port for the node-to-node calls. */
export class PeerStub {
  private readonly client: grpc.Client;
  private readonly definition = peerCallsDefinition();

  constructor(address: string, credentials: grpc.ChannelCredentials) {
    this.client = new grpc.Client(address, credentials);
  }

  call(name: PeerCallName, request: Obj, deadlineMs: number): Promise<Obj> {
    const method = this.definition[name];
    if (method === undefined) return Promise.reject(new Error(`No peer call ${name}`));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(method.path, method.requestSerialize, (bytes: Buffer) => method.responseDeserialize(bytes) as Obj,
        request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, value) => (err === null && value !== undefined ? resolve(value) : reject(err ?? new Error('empty reply'))));
    });
  }

  close(): void {
    this.client.close();
  }
}

export type PeerStubFactory = (address: string) => PeerStub;
