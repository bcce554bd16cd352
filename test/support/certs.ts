// Throwaway certificates for TLS tests, made with the openssl command line (as an operator would;
// deploy/README.md shows the same commands). ECDSA P-256: quick to generate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface CertOptions {
  /** File name stem under the directory. */
  readonly name: string;
  /** Subject CN: `node-<id>` for a node, the user name for a client. */
  readonly commonName: string;
  /** Subject alternative names; default DNS:localhost and IP:127.0.0.1. */
  readonly altNames?: readonly string[];
  /** Days valid; a negative number makes a certificate that has already expired. */
  readonly days?: number;
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA under `dir`. */
export function makeCa(dir: string, name = 'ca'): CertFiles {
  mkdirSync(dir, { recursive: true });
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...KEY_ARGS, '-keyout', files.keyFile, '-out', files.certFile, '-days', '30', '-subj', `/CN=raftkv test ${name}`]);
  return files;
}

/** A certificate signed by `ca`, usable as both server and client certificate. */
export function makeCert(dir: string, ca: CertFiles, options: CertOptions): CertFiles {
  mkdirSync(dir, { recursive: true });
  const files = { certFile: join(dir, `${options.name}.crt`), keyFile: join(dir, `${options.name}.key`) };
  const csr = join(dir, `${options.name}.csr`);
  const ext = join(dir, `${options.name}.ext`);
  const altNames = options.altNames ?? ['DNS:localhost', 'IP:127.0.0.1'];
  writeFileSync(ext, `subjectAltName=${altNames.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  openssl(['req', ...KEY_ARGS, '-keyout', files.keyFile, '-out', csr, '-subj', `/CN=${options.commonName}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial',
    '-out', files.certFile, '-days', String(options.days ?? 30), '-extfile', ext]);
  return files;
}
