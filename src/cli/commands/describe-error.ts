/**
 * Turns whatever a command threw into one stderr message (what happened, then what to do) and an
 * exit code. Usage problems are exit code 2; everything else that fails is 1.
 */
import { KvClientError, KvError, OutcomeUnknownError, UnreachableError } from '../../client/kv-client.js';
import { InputEncodingError } from '../output/bytes-format.js';
import { UsageError } from './args.js';
import { EXIT, type ExitCode } from './context.js';

export interface DescribedError {
  readonly message: string;
  readonly exitCode: ExitCode;
}

const GRPC_UNIMPLEMENTED = 12;

function lowerFirst(text: string): string {
  return text.length > 0 && /[A-Z][a-z]/.test(text.slice(0, 2)) ? text[0]?.toLowerCase() + text.slice(1) : text;
}

function describeKvError(error: KvError): string {
  if (error instanceof UnreachableError && error.reason.startsWith('TLS handshake')) {
    return `${error.reason}; check --cacert, --cert and --key against the cluster's CA`;
  }
  if (error instanceof UnreachableError) {
    return `no endpoint reachable: tried ${error.endpoints.join(', ')} (${error.reason}); is the cluster running? (npm start), or pass --endpoints`;
  }
  if (error instanceof OutcomeUnknownError) {
    return `${lowerFirst(error.message)} ('kvctl get KEY'): the write may or may not have applied`;
  }
  if (error instanceof KvClientError && error.grpcCode === GRPC_UNIMPLEMENTED) {
    return `the server does not support this call (${lowerFirst(error.message)}); upgrade the raftkv server`;
  }
  const message = lowerFirst(error.message);
  switch (error.code) {
    case 'TIMEOUT':
      return `timed out: ${message}; raise --timeout or check 'kvctl endpoint health'`;
    case 'NO_LEADER':
    case 'NOT_LEADER':
      return `the cluster has no leader right now: ${message}; check 'kvctl endpoint status' (a majority of voters must be up)`;
    case 'OVERLOADED':
      return `the cluster is overloaded: ${message}; retry later or slow down`;
    case 'INVALID_ARGUMENT':
      // The SDK refuses some requests itself (a txn across groups), before any call is made.
      return error instanceof KvClientError && error.grpcCode === undefined ? `the request is invalid: ${message}` : `the server refused the request: ${message}`;
    case 'WRONG_SHARD':
      return `the request reached the wrong shard: ${message}; retry`;
    case 'CAS_MISMATCH':
      return `compare failed: ${message}`;
    case 'INTERNAL':
      return `the server failed: ${message}; check the server log`;
    case 'NOSPACE':
      return `the cluster is out of space: ${message}; delete or compact data, then 'kvctl alarm disarm'`;
    case 'CORRUPT':
      return `a replica holds corrupted data: ${message}; see 'kvctl alarm list' and 'kvctl check hash'`;
    case 'UNAUTHENTICATED':
      return `not authenticated: ${message}; pass --user NAME (password from the prompt or KVCTL_PASSWORD)`;
    case 'PERMISSION_DENIED':
      return `permission denied: ${message}; ask an operator with role root to grant it ('kvctl role grant')`;
  }
}

export function describeError(error: unknown): DescribedError {
  if (error instanceof UsageError) {
    const help = error.command === undefined ? 'kvctl --help' : `kvctl ${error.command} --help`;
    return { message: `kvctl: ${error.message}\nRun '${help}' for usage.`, exitCode: EXIT.usage };
  }
  if (error instanceof InputEncodingError) return { message: `kvctl: ${error.message}`, exitCode: EXIT.usage };
  if (error instanceof KvError) {
    return { message: `kvctl: ${describeKvError(error)}`, exitCode: error.code === 'CAS_MISMATCH' ? EXIT.compareFailed : EXIT.error };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { message: `kvctl: ${message}`, exitCode: EXIT.error };
}
