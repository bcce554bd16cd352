/**
 * kvctl's TLS flags (--cacert, --cert, --key, or KVCTL_CACERT, KVCTL_CERT, KVCTL_KEY) as the SDK's
 * `tls` option, and the line that says which identities a call ran with.
 */
import type { ClientTlsOptions, ConnectionIdentity } from '../../client/kv-client.js';
import { UsageError, type Flags } from './args.js';

/** The TLS option from flags, else the environment; undefined (plaintext) when none is given. */
export function tlsFromFlags(flags: Flags, env: NodeJS.ProcessEnv): ClientTlsOptions | undefined {
  const pick = (flag: string, variable: string): string | undefined => {
    const value = flags.string(flag) ?? env[variable];
    return value === undefined || value === '' ? undefined : value;
  };
  const caFile = pick('cacert', 'KVCTL_CACERT');
  const certFile = pick('cert', 'KVCTL_CERT');
  const keyFile = pick('key', 'KVCTL_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together (a client certificate needs its key)');
  if (caFile === undefined && certFile === undefined) return undefined;
  return { ...(caFile === undefined ? {} : { caFile }), ...(certFile === undefined ? {} : { certFile }), ...(keyFile === undefined ? {} : { keyFile }) };
}

/** `TLS: on, server cert CN node-1 (127.0.0.1:7001), client cert CN alice`, or `TLS: off`. */
export function describeIdentity(endpoint: string, identity: ConnectionIdentity): string {
  if (!identity.tls) return 'TLS: off (plaintext; pass --cacert for a cluster started with --tls-cert)';
  if (identity.failure !== undefined) return `TLS: on, handshake with ${endpoint} failed: ${identity.failure}`;
  const server = `server cert CN ${identity.serverCommonName ?? '(none)'} (${endpoint})`;
  return `TLS: on, ${server}, client cert ${identity.clientCommonName === undefined ? 'none' : `CN ${identity.clientCommonName}`}`;
}
