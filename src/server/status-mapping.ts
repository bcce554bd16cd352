/**
 * The only place that maps the error catalogue onto gRPC statuses and trailers (STYLE §5).
 * The README's error table has one row per code; test/unit/server/status-mapping.test.ts checks it.
 */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { unreachable } from '../shared/assert.js';
import type { KvError, KvErrorCode } from '../shared/errors.js';

export function grpcStatusOf(code: KvErrorCode): status {
  switch (code) {
    case 'NOT_LEADER':
    case 'NO_LEADER':
    case 'WRONG_SHARD':
    case 'CORRUPT':
      return status.UNAVAILABLE;
    case 'OVERLOADED':
    case 'NOSPACE':
      return status.RESOURCE_EXHAUSTED;
    case 'TIMEOUT':
      return status.DEADLINE_EXCEEDED;
    case 'INVALID_ARGUMENT':
      return status.INVALID_ARGUMENT;
    case 'CAS_MISMATCH':
      return status.FAILED_PRECONDITION;
    case 'INTERNAL':
      return status.INTERNAL;
    case 'UNAUTHENTICATED':
      return status.UNAUTHENTICATED;
    case 'PERMISSION_DENIED':
      return status.PERMISSION_DENIED;
    default:
      return unreachable(code);
  }
}

function trailersOf(error: KvError): Metadata {
  const md = new Metadata();
  if (error.code === 'TIMEOUT' || error.code === 'INTERNAL') return md;
  md.set('kv-error', error.code);
  const d = error.details;
  const set = (key: string, value: number | string | undefined): void => {
    if (value !== undefined) md.set(key, String(value));
  };
  set('kv-group', d.group);
  set('kv-term', d.term);
  set('kv-leader-id', d.leaderId);
  set('kv-leader-addr', d.leaderAddr);
  set('kv-field', d.field);
  set('kv-ring-epoch', d.ringEpoch);
  set('kv-current-version', d.currentVersion);
  return md;
}

export function toServiceError(error: KvError): Partial<ServiceError> {
  return { code: grpcStatusOf(error.code), details: error.message, metadata: trailersOf(error) };
}
