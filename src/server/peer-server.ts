/**
 * The node's peer port: a grpc.Server of its own serving only the Raft transport, and the
 * transport that uses it. Clients never reach Raft, and peers never reach Kv or Cluster, whatever
 * the client port allows. With TLS on the peer port is always mutual TLS: a peer must present a
 * certificate that chains to the cluster CA, and is the node that certificate names
 * (src/transport/peer-identity.ts); the same certificates dial other nodes.
 */
import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { GrpcPeerTransport, peerServerOptions } from '../transport/grpc-peer-transport.js';
import type { TlsMaterial } from '../transport/tls-material.js';
import { ConfigError, type ServerConfig } from './config.js';
import { addPeerCalls, PeerStub, type PeerCallHandlers, type PeerStubFactory } from './peer-calls.js';

export interface PeerPort {
  readonly server: grpc.Server;
  readonly transport: GrpcPeerTransport;
  /** Binds the peer port; resolves to the bound port number. */
  bind(): Promise<number>;
  /** Serves the node-to-node calls (peer-calls.ts) on this port. */
  serveCalls(handlers: PeerCallHandlers): void;
  /** Stubs for other nodes' peer ports, with this node's credentials. */
  readonly connect: PeerStubFactory;
}

/** Throws ConfigError when TLS is on without a CA (called at start, before the data dir is touched). */
export function checkPeerTls(tls: TlsMaterial | undefined): void {
  if (tls !== undefined && !tls.hasCa) {
    throw new ConfigError('Setting tlsCa is required when TLS is on: the peer port is mutual TLS, and peers are checked against that CA');
  }
}

export function createPeerPort(config: ServerConfig, self: NodeId, peers: ReadonlyMap<NodeId, string>, tls: TlsMaterial | undefined, log: Logger): PeerPort {
  checkPeerTls(tls);
  const server = new grpc.Server(peerServerOptions());
  const transport = new GrpcPeerTransport({
    self, clusterId: config.clusterId, address: config.peerAdvertise, peers, server, logger: log,
    ...(tls === undefined ? {} : { credentials: tls.channelCredentials(), certified: true }),
  });
  const credentials = tls === undefined ? grpc.ServerCredentials.createInsecure() : tls.serverCredentials(true);
  const bind = (): Promise<number> => new Promise((resolve, reject) => {
    server.bindAsync(config.peerListen, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
  const isPeer = (node: NodeId): boolean => transport.isPeer(node);
  const serveCalls = (handlers: PeerCallHandlers): void => addPeerCalls(server, handlers, { certified: tls !== undefined, isPeer });
  const channel = tls === undefined ? grpc.credentials.createInsecure() : tls.channelCredentials();
  return { server, transport, bind, serveCalls, connect: (address) => new PeerStub(address, channel) };
}
