/**
 * `raftkv dev --tls`: a throwaway CA under the dev data dir, a certificate per node (CN
 * node-<id>, SAN DNS:localhost, IP:127.0.0.1) and a client certificate (CN root), made once and
 * reused when the cluster restarts on the same data dir.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeCa, makeCert, type CertFiles } from './cert-files.js';

export interface DevCertificates {
  readonly dir: string;
  readonly ca: CertFiles;
  readonly nodes: ReadonlyMap<number, CertFiles>;
  readonly client: CertFiles;
}

/** The user name the dev client certificate carries. */
export const DEV_CLIENT_NAME = 'root';

export function devCertificates(dataDir: string, nodes: number): DevCertificates {
  const dir = resolve(join(dataDir, 'tls'));
  const reuse = (name: string, make: () => CertFiles): CertFiles => {
    const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
    return existsSync(files.certFile) && existsSync(files.keyFile) ? files : make();
  };
  const ca = reuse('ca', () => makeCa(dir));
  const nodeCerts = new Map<number, CertFiles>();
  for (let id = 1; id <= nodes; id++) nodeCerts.set(id, reuse(`node-${id}`, () => makeCert(dir, ca, { name: `node-${id}`, commonName: `node-${id}` })));
  const client = reuse(DEV_CLIENT_NAME, () => makeCert(dir, ca, { name: DEV_CLIENT_NAME, commonName: DEV_CLIENT_NAME }));
  return { dir, ca, nodes: nodeCerts, client };
}

/** `raftkv serve` flags for node `id`. */
export function devTlsFlags(certs: DevCertificates, id: number): string[] {
  const own = certs.nodes.get(id);
  if (own === undefined) throw new Error(`No dev certificate for node ${id}`);
  return ['--tls-cert', own.certFile, '--tls-key', own.keyFile, '--tls-ca', certs.ca.certFile, '--client-cert-auth'];
}

/** The kvctl flags that reach the dev cluster. */
export function kvctlTlsFlags(certs: DevCertificates): string {
  return `--cacert ${certs.ca.certFile} --cert ${certs.client.certFile} --key ${certs.client.keyFile}`;
}
