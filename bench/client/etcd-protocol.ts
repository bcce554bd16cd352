/**
 * etcd's side of the adapter: KV.Put, KV.Range (one key; `serializable` selects the read path) and
 * Maintenance.Status through the proto subset in bench/proto/etcd/. etcd reports its errors as a
 * gRPC status with a message ("etcdserver: no leader"); the message becomes part of the code.
 * A follower forwards writes to the leader itself, so etcd never sends a redirect.
 */
import { fileURLToPath } from 'node:url';
import { BenchCallError, type MemberStatus, type ReadConsistency, type TargetProtocol } from './adapter.js';
import { isServiceError, loadUnaryMethods, requireMethod, statusName, type GrpcEndpoint, type Message } from './grpc-unary.js';

const protoRoot = fileURLToPath(new URL('../proto/etcd/', import.meta.url));
const kvMethods = loadUnaryMethods(protoRoot, 'rpc.proto', 'etcdserverpb.KV');
const maintenanceMethods = loadUnaryMethods(protoRoot, 'rpc.proto', 'etcdserverpb.Maintenance');
const putMethod = requireMethod(kvMethods, 'Put');
const rangeMethod = requireMethod(kvMethods, 'Range');
const statusMethod = requireMethod(maintenanceMethods, 'Status');

/** Bound on the part of an etcd message kept in a code, so codes stay few and short. */
const messageInCodeCharsMax = 48;

function shortMessage(details: string): string {
  const text = details.replace(/^etcdserver:\s*/, '').trim();
  return text.length > messageInCodeCharsMax ? `${text.slice(0, messageInCodeCharsMax)}…` : text;
}

export const etcdProtocol: TargetProtocol = {
  async put(endpoint: GrpcEndpoint, key: Uint8Array, value: Uint8Array, deadlineMs: number): Promise<void> {
    await endpoint.call(putMethod, { key, value }, deadlineMs);
  },

  async get(endpoint: GrpcEndpoint, key: Uint8Array, consistency: ReadConsistency, deadlineMs: number): Promise<void> {
    await endpoint.call(rangeMethod, { key, serializable: consistency === 'serializable' }, deadlineMs);
  },

  async status(endpoint: GrpcEndpoint, deadlineMs: number): Promise<MemberStatus> {
    const response = await endpoint.call(statusMethod, {}, deadlineMs);
    const header = response['header'] as Message | undefined;
    const memberId = String(header?.['memberId'] ?? '0');
    return { memberId, isLeader: memberId !== '0' && String(response['leader']) === memberId, term: Number(response['raftTerm'] ?? 0) };
  },

  classify(error: unknown): BenchCallError {
    if (!isServiceError(error)) return new BenchCallError('CLIENT', String(error));
    const name = statusName(error.code);
    const details = error.details || error.message;
    // Transport-level failures carry grpc-js text, not an etcd message: keep the status alone,
    // except for UNKNOWN, whose message is the only thing that says what happened.
    const fromEtcd = details.startsWith('etcdserver:');
    const code = fromEtcd || name === 'UNKNOWN' ? `${name}:${shortMessage(details)}` : name;
    const rotate = name === 'UNAVAILABLE' || name === 'DEADLINE_EXCEEDED' || name === 'CANCELLED' ||
      (fromEtcd && /no leader|leader changed|timed out|not capable|stopped/.test(details));
    return new BenchCallError(code, details, undefined, rotate);
  },
};
