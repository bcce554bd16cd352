/**
 * Turns storage results into proto response objects (proto-loader plain objects, camelCase,
 * 64-bit fields as decimal strings).
 */
import type { CommandResult, KeyValue, OpResult } from '../storage/kv-types.js';

export interface Header {
  readonly groupId: string;
  readonly revision: string;
  readonly raftTerm: string;
  readonly nodeId: string;
  readonly serializable: boolean;
}

export function header(group: number, revision: number, term: number, node: number, serializable = false): Header {
  return { groupId: String(group), revision: String(revision), raftTerm: String(term), nodeId: String(node), serializable };
}

export function keyValue(kv: KeyValue): Record<string, unknown> {
  return {
    key: Buffer.from(kv.key),
    value: Buffer.from(kv.value),
    version: String(kv.version),
    createRevision: String(kv.createRevision),
    modRevision: String(kv.modRevision),
  };
}

function optionalKv(kv: KeyValue | null): Record<string, unknown> {
  return kv === null ? {} : { prevKv: keyValue(kv) };
}

export function opResult(result: OpResult): Record<string, unknown> {
  switch (result.type) {
    case 'put':
      return { put: optionalKv(result.prevKv) };
    case 'delete':
      return { delete: { deleted: result.deleted, ...optionalKv(result.prevKv) } };
    case 'get':
      return { get: result.kv === null ? { found: false } : { found: true, kv: keyValue(result.kv) } };
    case 'range':
      return { range: { kvs: result.kvs.map(keyValue), more: result.more, count: String(result.count) } };
  }
}

/** The body of a write response (everything but the header). */
export function writeBody(result: CommandResult): Record<string, unknown> {
  switch (result.type) {
    case 'put':
      return optionalKv(result.prevKv);
    case 'delete':
      return { deleted: result.deleted, ...optionalKv(result.prevKv) };
    case 'txn':
      return { succeeded: result.succeeded, results: result.results.map(opResult) };
    default:
      return {};
  }
}

export function revisionOf(result: CommandResult): number {
  return 'revision' in result ? result.revision : 0;
}
