/**
 * The error catalogue. Expected failures are values with a code, never thrown across the core
 * boundary. The mapping to gRPC lives only in src/server/status-mapping.ts; README.md has a row per
 * code (a test checks it).
 */
export const KV_ERROR_CODES = [
  'NOT_LEADER',
  'NO_LEADER',
  'WRONG_SHARD',
  'OVERLOADED',
  'TIMEOUT',
  'INVALID_ARGUMENT',
  'CAS_MISMATCH',
  'INTERNAL',
  'NOSPACE',
  'CORRUPT',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
] as const;

export type KvErrorCode = (typeof KV_ERROR_CODES)[number];

export interface KvErrorDetails {
  readonly leaderId?: number;
  readonly leaderAddr?: string;
  readonly group?: number;
  readonly term?: number;
  readonly field?: string;
  readonly ringEpoch?: number;
  readonly currentVersion?: number;
}

export class KvError extends Error {
  override readonly name: string = 'KvError';
  constructor(
    readonly code: KvErrorCode,
    message: string,
    readonly details: KvErrorDetails = {},
  ) {
    super(message);
  }
}

export type Result<T, E = KvError> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };
