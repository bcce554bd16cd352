/**
 * Who may talk to whom. A node accepts Raft traffic only from configured peers of its own cluster:
 * a peer pointed at the wrong cluster, or two nodes started with one id, must fail loudly at
 * connect time rather than corrupt each other's logs. The same checks guard Hello (for a clear
 * error at the dialer) and the start of every Stream (metadata), since a Stream may arrive on a
 * connection that never said Hello.
 */
import * as grpc from '@grpc/grpc-js';
import { UndecodableRequest } from './proto-loader.js';
import type { NodeId } from '../shared/ids.js';
import type { WireHelloRequest, WireHelloResponse } from './wire-types.js';
import { WireFormatError, nodeIdFromWire, readObject, readString } from './wire-reader.js';
import type { CertifiedPeer } from './peer-identity.js';

export const CLUSTER_ID_HEADER = 'raftkv-cluster-id';
export const NODE_ID_HEADER = 'raftkv-node-id';

export interface LocalIdentity {
  readonly self: NodeId;
  readonly clusterId: string;
  readonly address: string;
  /** The configured address of a peer; undefined for nodes that are not our peers. */
  peerAddress(node: NodeId): string | undefined;
}

export type Admission =
  | { readonly ok: true; readonly peer: NodeId; readonly address: string }
  | { readonly ok: false; readonly code: grpc.status; readonly details: string };

function refuse(code: grpc.status, details: string): Admission {
  return { ok: false, code, details };
}

/** Checks a claimed (node, cluster) pair against our own identity and peer list. */
export function admit(claimedNode: unknown, claimedCluster: string, address: string, local: LocalIdentity): Admission {
  let peer: NodeId;
  try {
    peer = nodeIdFromWire(claimedNode, 'node id');
  } catch (error) {
    if (error instanceof WireFormatError) return refuse(grpc.status.INVALID_ARGUMENT, `Cannot accept peer: ${error.message}`);
    throw error;
  }
  if (claimedCluster !== local.clusterId) {
    return refuse(grpc.status.FAILED_PRECONDITION,
      `Cannot accept peer node "${peer}": it is in cluster "${claimedCluster}", node "${local.self}" is in cluster "${local.clusterId}"`);
  }
  if (peer === local.self) {
    return refuse(grpc.status.FAILED_PRECONDITION, `Cannot accept peer node "${peer}": it has the same node id as this node`);
  }
  if (local.peerAddress(peer) === undefined) {
    return refuse(grpc.status.PERMISSION_DENIED, `Cannot accept peer node "${peer}": it is not in the peer list of node "${local.self}"`);
  }
  return { ok: true, peer, address };
}

/**
 * With mutual TLS the certificate decides who the peer is: a certificate that names no node is
 * refused, and so is a claim (metadata or Hello) of another node than the certificate names.
 * `certified` undefined: plaintext peer port, the claim is all there is.
 */
export function admitCertified(admission: Admission, certified: CertifiedPeer | undefined): Admission {
  if (certified === undefined) return admission;
  if (!certified.ok) return refuse(certified.code, certified.details);
  if (!admission.ok) return { ...admission, details: `${admission.details} (certificate ${certified.subject})` };
  if (admission.peer !== certified.node) {
    return refuse(grpc.status.PERMISSION_DENIED,
      `Cannot accept peer: its certificate (${certified.subject}) names node "${certified.node}", but it claims to be node "${admission.peer}"`);
  }
  return admission;
}

export function admitHello(request: unknown, local: LocalIdentity): Admission {
  if (request instanceof UndecodableRequest) return refuse(grpc.status.INVALID_ARGUMENT, `Cannot accept peer: ${request.reason}`);
  try {
    const object = readObject(request, 'hello');
    return admit(object['nodeId'], readString(object, 'clusterId', 'hello'), readString(object, 'address', 'hello'), local);
  } catch (error) {
    if (error instanceof WireFormatError) return refuse(grpc.status.INVALID_ARGUMENT, `Cannot accept peer: ${error.message}`);
    throw error;
  }
}

function firstString(metadata: grpc.Metadata, key: string): string {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : '';
}

export function admitStream(metadata: grpc.Metadata, local: LocalIdentity): Admission {
  const node = firstString(metadata, NODE_ID_HEADER);
  return admit(node === '' ? undefined : node, firstString(metadata, CLUSTER_ID_HEADER), '', local);
}

export function streamMetadata(local: LocalIdentity): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(CLUSTER_ID_HEADER, local.clusterId);
  metadata.set(NODE_ID_HEADER, String(local.self));
  return metadata;
}

export function helloRequest(local: LocalIdentity): WireHelloRequest {
  return { nodeId: local.self, clusterId: local.clusterId, address: local.address };
}

export function helloResponse(local: LocalIdentity): WireHelloResponse {
  return { nodeId: local.self, clusterId: local.clusterId };
}

/** The dialer's side: did the node at the peer's address say it is that peer, in our cluster? */
export function checkHelloResponse(response: unknown, peer: NodeId, address: string, local: LocalIdentity): string | null {
  try {
    const object = readObject(response, 'hello response');
    const answered = nodeIdFromWire(object['nodeId'], 'hello response.nodeId');
    const cluster = readString(object, 'clusterId', 'hello response');
    if (answered !== peer) return `Cannot connect to peer node "${peer}" at "${address}": node "${answered}" answered`;
    if (cluster !== local.clusterId) {
      return `Cannot connect to peer node "${peer}" at "${address}": it is in cluster "${cluster}", this node is in "${local.clusterId}"`;
    }
    return null;
  } catch (error) {
    if (error instanceof WireFormatError) return `Cannot connect to peer node "${peer}" at "${address}": ${error.message}`;
    throw error;
  }
}
