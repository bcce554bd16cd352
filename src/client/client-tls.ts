/**
 * TLS for the SDK's channels: the `tls` client option, read once when the client is made (a file
 * that cannot be read fails `createClient` with INVALID_ARGUMENT naming it), and the identity a
 * client presents, so kvctl can say which certificate a call ran as.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { KvClientError } from './errors.js';

/**
 * TLS settings of a client: the CA that signed the servers' certificates and, for a cluster
 * started with `--client-cert-auth`, this client's certificate and key. Each is PEM text (`ca`,
 * `cert`, `key`) or a file holding it (`caFile`, `certFile`, `keyFile`). Without `ca`/`caFile` the
 * system's trusted roots verify the server.
 *
 * @example
 * ```ts
 * createClient({ endpoints: ['db1:7001'], tls: { caFile: 'ca.crt', certFile: 'alice.crt', keyFile: 'alice.key' } });
 * ```
 */
export interface ClientTlsOptions {
  readonly ca?: string | Uint8Array;
  readonly caFile?: string;
  readonly cert?: string | Uint8Array;
  readonly certFile?: string;
  readonly key?: string | Uint8Array;
  readonly keyFile?: string;
}

/** The loaded PEM bytes; what channels and the handshake diagnosis use. */
export interface ClientTls {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
}

function invalid(message: string, field: string): KvClientError {
  return new KvClientError('INVALID_ARGUMENT', `Cannot create the client: ${message}`, { details: { field } });
}

function pem(options: ClientTlsOptions, name: 'ca' | 'cert' | 'key'): Buffer | undefined {
  const inline = options[name];
  const file = options[`${name}File`];
  if (inline !== undefined && file !== undefined) throw invalid(`give tls.${name} or tls.${name}File, not both`, `tls.${name}`);
  if (inline !== undefined) return Buffer.from(inline);
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw invalid(`cannot read tls.${name}File "${file}": ${(err as Error).message}`, `tls.${name}File`);
  }
}

/** Reads and checks the TLS option; undefined means plaintext. */
export function loadClientTls(options: ClientTlsOptions | undefined): ClientTls | undefined {
  if (options === undefined) return undefined;
  const tls = { ca: pem(options, 'ca'), cert: pem(options, 'cert'), key: pem(options, 'key') };
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw invalid('tls.cert and tls.key go together (a client certificate needs its key)', 'tls.key');
  for (const [name, bytes] of [['ca', tls.ca], ['cert', tls.cert]] as const) {
    if (bytes === undefined) continue;
    try {
      new X509Certificate(bytes);
    } catch (err) {
      throw invalid(`tls.${name} is not a PEM certificate: ${(err as Error).message}`, `tls.${name}`);
    }
  }
  return tls;
}

export function channelCredentials(tls: ClientTls | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/** The subject CN of the client certificate, if one is configured: the identity calls run as. */
export function clientCommonName(tls: ClientTls | undefined): string | undefined {
  if (tls?.cert === undefined) return undefined;
  return commonNameOf(new X509Certificate(tls.cert).subject);
}

/** `CN=...` out of an X509 subject (lines of `key=value`). */
export function commonNameOf(subject: string): string | undefined {
  return subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3);
}
