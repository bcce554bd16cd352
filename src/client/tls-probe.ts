/**
 * Why a connection to a node cannot be made, when the reason is TLS. grpc-js reports every failed
 * handshake as "No connection established" with, at best, a low-level last error that differs by
 * platform and race ("read ECONNRESET" for an expired client certificate). When a call fails that
 * way, the stub makes one TLS connection of its own with the same settings and reads the real
 * reason: the certificate error, or the alert the server sent. It then speaks the HTTP/2 preface
 * and waits for the server's first frame: under TLS 1.3 a server refuses a client certificate only
 * after the client has finished its side of the handshake, so "connected" proves nothing until the
 * server has sent data.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type ConnectionOptions } from 'node:tls';
import type { ClientTls } from './client-tls.js';

export interface TlsProbe {
  /** Why TLS fails, in words for an operator; undefined: TLS is not the problem (or it works). */
  readonly failure?: string;
  /** The server certificate's subject CN, when the handshake got that far. */
  readonly serverCommonName?: string;
}

/** How long a probe may take before it concludes nothing. */
export const TLS_PROBE_TIMEOUT_MS = 2_000;

// The HTTP/2 client preface plus an empty SETTINGS frame: a server that accepted us answers it.
const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

const USE_CA = 'pass the cluster CA (kvctl --cacert, SDK tls.caFile)';
const USE_CERT = 'kvctl --cert and --key, SDK tls.certFile and tls.keyFile';

/** [pattern on the error code or message, reason]; the first match wins. */
const REASONS: readonly (readonly [RegExp, string])[] = [
  [/alert certificate required/i, `the server requires a client certificate; pass one signed by the cluster CA (${USE_CERT})`],
  [/alert unknown ca/i, 'the server refused the client certificate: unknown CA (it is not signed by the CA the cluster trusts)'],
  [/alert certificate expired/i, 'the server refused the client certificate: certificate has expired'],
  [/alert (bad certificate|certificate unknown|unsupported certificate)/i, 'the server refused the client certificate (bad certificate)'],
  [/alert certificate revoked/i, 'the server refused the client certificate: certificate revoked'],
  [/CERT_HAS_EXPIRED/, 'the server certificate has expired'],
  [/CERT_NOT_YET_VALID/, 'the server certificate is not valid yet'],
  [/SELF_SIGNED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/, `the server certificate is not signed by a trusted CA (unknown CA); ${USE_CA}`],
  [/ERR_TLS_CERT_ALTNAME_INVALID/, 'the server certificate does not name this address'],
  [/WRONG_VERSION_NUMBER|wrong version number|packet length too long|http request/i, 'the server does not speak TLS (started without --tls-cert?); drop the TLS options'],
];

/** Errors that mean "nobody listens there": not a TLS question. */
const NOT_TLS = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/;

function reasonOf(error: Error & { code?: string }): string | undefined {
  const text = `${error.code ?? ''} ${error.message}`;
  if (NOT_TLS.test(text)) return undefined;
  for (const [pattern, reason] of REASONS) if (pattern.test(text)) return pattern.source.startsWith('ERR_TLS_CERT') ? `${reason}: ${error.message}` : reason;
  return error.message;
}

function split(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(colon + 1)) };
}

/**
 * Connects to `address` as the client would (`tls` undefined: a plaintext client, which only
 * learns whether the server insists on TLS) and reports what went wrong, if TLS did.
 */
export function probeTls(address: string, tls: ClientTls | undefined, timeoutMs = TLS_PROBE_TIMEOUT_MS): Promise<TlsProbe> {
  const { host, port } = split(address);
  const options: ConnectionOptions = {
    host, port, ALPNProtocols: ['h2'],
    // An IP address is no SNI name (RFC 6066); node checks the IP against the certificate's SANs.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(tls === undefined ? { rejectUnauthorized: false } : {}),
    ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls?.key === undefined ? {} : { key: tls.key }),
  };
  return new Promise((resolve) => {
    let serverCommonName: string | undefined;
    const socket = connect(options);
    const done = (probe: TlsProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(serverCommonName === undefined ? probe : { ...probe, serverCommonName });
    };
    const timer = setTimeout(() => done({}), timeoutMs);
    socket.once('secureConnect', () => {
      const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
      const cn = subject?.['CN'];
      serverCommonName = Array.isArray(cn) ? cn[0] : cn;
      // A plaintext client learnt what it needed: the server speaks TLS.
      if (tls === undefined) done({ failure: `the server requires TLS; ${USE_CA}` });
      else socket.write(H2_PREFACE);
    });
    socket.once('data', () => done({}));
    socket.once('error', (error) => done(tls === undefined ? {} : { ...optionalFailure(reasonOf(error)) }));
    socket.once('close', () => done(tls === undefined ? {} : { failure: closedReason(tls) }));
  });
}

/**
 * A node server checks a client certificate after the handshake and, if it refuses it, just closes
 * the socket without a TLS alert (only "no certificate at all" gets one). So the client looks at
 * its own certificate for the usual reasons, assuming one CA signs both the nodes' and clients'
 * certificates (as deploy/README.md sets them up).
 */
function closedReason(tls: ClientTls): string {
  const refused = 'the server refused the client certificate';
  if (tls.cert === undefined) return 'the server closed the connection during the handshake';
  const cert = new X509Certificate(tls.cert);
  if (Date.parse(cert.validTo) < Date.now()) return `${refused}: certificate has expired (notAfter ${cert.validTo})`;
  if (Date.parse(cert.validFrom) > Date.now()) return `${refused}: certificate is not valid yet (notBefore ${cert.validFrom})`;
  if (tls.ca !== undefined) {
    const ca = new X509Certificate(tls.ca);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return `${refused}: unknown CA (it is not signed by the CA that signed the server's certificate)`;
  }
  return `${refused} (not signed by the CA the cluster trusts for clients?)`;
}

function optionalFailure(failure: string | undefined): TlsProbe {
  return failure === undefined ? {} : { failure };
}
