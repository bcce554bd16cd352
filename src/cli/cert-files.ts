/**
 * Throwaway certificates for `raftkv dev --tls` and the TLS tests, made with the openssl command
 * line exactly as deploy/README.md tells an operator to make real ones. ECDSA P-256: quick to
 * generate. Keys are written owner-only.
 */
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

/** The openssl CLI is missing or failed; the message says which and what to do. */
export class CertToolError extends Error {
  override readonly name = 'CertToolError';
}

function openssl(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const error = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (error.code === 'ENOENT') throw new CertToolError('Cannot make certificates: the openssl command is not installed (install it, e.g. apt-get install openssl, or make the certificates as deploy/README.md shows)');
    throw new CertToolError(`Cannot make certificates: openssl ${args[0] ?? ''} failed: ${error.stderr?.toString().trim() ?? error.message}`);
  }
}

/** A self-signed CA under `dir`. */
export function makeCa(dir: string, name = 'ca'): CertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...KEY_ARGS, '-keyout', files.keyFile, '-out', files.certFile, '-days', '30', '-subj', `/CN=raftkv ${name}`]);
  return files;
}

/** A certificate signed by `ca`, usable as both server and client certificate. */
export function makeCert(dir: string, ca: CertFiles, options: CertOptions): CertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
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
