/**
 * raftkv's side of the adapter: Kv.Put, Kv.Get and Kv.Status from proto/raftkv/v1/kv.proto, and
 * the kv-* trailers read back into a code and a leader hint (the error table of STYLE.md §5).
 */
import { fileURLToPath } from 'node:url';
import { BenchCallError, type MemberStatus, type ReadConsistency, type TargetProtocol } from './adapter.js';
import { isServiceError, loadUnaryMethods, requireMethod, statusName, type GrpcEndpoint, type Message } from './grpc-unary.js';

const protoRoot = fileURLToPath(new URL('../../proto/', import.meta.url));
const methods = loadUnaryMethods(protoRoot, 'raftkv/v1/kv.proto', 'raftkv.v1.Kv');
const putMethod = requireMethod(methods, 'Put');
const getMethod = requireMethod(methods, 'Get');
const statusMethod = requireMethod(methods, 'Status');

const consistencyName: Record<ReadConsistency, string> = {
  linearizable: 'READ_CONSISTENCY_LINEARIZABLE',
  serializable: 'READ_CONSISTENCY_SERIALIZABLE',
};

function field(message: Message, name: string): unknown {
  return message[name];
}

function trailer(metadata: { get(key: string): unknown[] } | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return value === undefined ? undefined : String(value);
}

export const raftkvProtocol: TargetProtocol = {
  async put(endpoint: GrpcEndpoint, key: Uint8Array, value: Uint8Array, deadlineMs: number): Promise<void> {
    await endpoint.call(putMethod, { key, value }, deadlineMs);
  },

  async get(endpoint: GrpcEndpoint, key: Uint8Array, consistency: ReadConsistency, deadlineMs: number): Promise<void> {
    await endpoint.call(getMethod, { key, consistency: consistencyName[consistency] }, deadlineMs);
  },

  async status(endpoint: GrpcEndpoint, deadlineMs: number): Promise<MemberStatus> {
    const response = await endpoint.call(statusMethod, {}, deadlineMs);
    const header = field(response, 'header') as Message | undefined;
    return {
      memberId: String(header?.['nodeId'] ?? '0'),
      isLeader: field(response, 'role') === 'ROLE_LEADER',
      term: Number(header?.['raftTerm'] ?? 0),
    };
  },

  classify(error: unknown): BenchCallError {
    if (!isServiceError(error)) return new BenchCallError('CLIENT', String(error));
    const kvError = trailer(error.metadata, 'kv-error');
    const code = kvError === undefined ? statusName(error.code) : `${statusName(error.code)}:${kvError}`;
    const name = statusName(error.code);
    const rotate = name === 'UNAVAILABLE' || name === 'DEADLINE_EXCEEDED' || name === 'CANCELLED';
    return new BenchCallError(code, error.details || error.message, trailer(error.metadata, 'kv-leader-addr'), rotate, trailer(error.metadata, 'kv-group'));
  },
};
