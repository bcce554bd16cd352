/**
 * `--secure` fault runs: every node serves TLS with client certificates required on its client
 * port and mutual TLS on its peer port, and auth is enabled before the workload starts; the
 * harness calls every node as user root by its client certificate (CN root). Certificates are made
 * per run under <run>/tls with the openssl CLI, naming every address a node is reached at (netns
 * lab IPs, proxy addresses) so hostname checks pass as they would in a deployment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { loadClientTls, type ClientTls } from '../../../src/client/client-tls.js';
import { makeCa, makeCert, type CertFiles } from '../../../src/cli/cert-files.js';
import type { NodeId } from '../../../src/shared/ids.js';

export interface SecureMaterial {
  readonly ca: CertFiles;
  readonly nodes: ReadonlyMap<NodeId, CertFiles>;
  readonly clientTls: ClientTls;
}

/** The `--tls-*` flags of node `node`'s `raftkv serve`. */
export function secureServeFlags(material: SecureMaterial, node: NodeId): string[] {
  const cert = material.nodes.get(node);
  if (cert === undefined) throw new Error(`No certificate for node ${node}`);
  return ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--tls-ca', material.ca.certFile, '--client-cert-auth'];
}

/** Channel credentials that present node `node`'s own certificate (to forge as that member). */
export function nodeChannelCredentials(material: SecureMaterial, node: NodeId): grpc.ChannelCredentials {
  const cert = material.nodes.get(node);
  if (cert === undefined) throw new Error(`No certificate for node ${node}`);
  return grpc.credentials.createSsl(readFileSync(material.ca.certFile), readFileSync(cert.keyFile), readFileSync(cert.certFile));
}

/** `addressesOf(node)`: every host:port the node listens on or is dialed at. */
export function makeSecureMaterial(runDir: string, nodes: readonly NodeId[], addressesOf: (node: NodeId) => readonly string[]): SecureMaterial {
  const dir = join(runDir, 'tls');
  const ca = makeCa(dir);
  const certs = new Map(nodes.map((node) => [node, makeCert(dir, ca, { name: `node-${node}`, commonName: `node-${node}`, altNames: altNamesOf(addressesOf(node)) })]));
  const root = makeCert(dir, ca, { name: 'root', commonName: 'root' });
  const clientTls = loadClientTls({ caFile: ca.certFile, certFile: root.certFile, keyFile: root.keyFile });
  if (clientTls === undefined) throw new Error('No client TLS from the root certificate');
  return { ca, nodes: certs, clientTls };
}

function altNamesOf(addresses: readonly string[]): string[] {
  const hosts = new Set(['127.0.0.1', 'localhost', ...addresses.map((a) => a.slice(0, a.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1'))]);
  return [...hosts].filter((h) => h !== '' && h !== '0.0.0.0').map((h) => (isIP(h) === 0 ? `DNS:${h}` : `IP:${h}`));
}
