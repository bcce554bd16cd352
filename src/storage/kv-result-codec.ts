/**
 * Binary encoding of apply results, stored per client session so a retried command gets the very
 * result of its first application (Raft thesis §6.3). Same primitives as kv-command-codec.ts:
 *
 *   result = u8 1 uint rev kv? | 2 uint rev bool deleted kv? | 3 uint rev uint deleted | 4 uint rev
 *          | 5 uint rev bool succeeded uint n opResult* | 6 string code string message bool [string field]
 *          | 7 uint rev                                (put, delete, deleteRange, batchPut, txn, error, noop)
 *   opResult = u8 1 kv? | 2 bool deleted kv? | 3 kv? | 4 uint n kv* bool more uint count
 *   kv? = bool present [kv]    kv = bytes key, bytes value, uint create, uint mod, uint version
 */
import { assert, unreachable } from '../shared/assert.js';
import { KV_ERROR_CODES, type KvErrorCode } from '../shared/errors.js';
import { BytesWriter, CodecError, decodeTrusted, type BytesReader } from './byte-codec.js';
import type { CommandResult, KeyValue, OpResult } from './kv-types.js';

export function writeKeyValue(w: BytesWriter, kv: KeyValue): void {
  w.bytes(kv.key).bytes(kv.value).uint(kv.createRevision).uint(kv.modRevision).uint(kv.version);
}

export function readKeyValue(r: BytesReader): KeyValue {
  return { key: r.bytes(), value: r.bytes(), createRevision: r.uint(), modRevision: r.uint(), version: r.uint() };
}

function writeOptionalKv(w: BytesWriter, kv: KeyValue | null): void {
  w.bool(kv !== null);
  if (kv !== null) writeKeyValue(w, kv);
}

function readOptionalKv(r: BytesReader): KeyValue | null {
  return r.bool() ? readKeyValue(r) : null;
}

export function encodeCommandResult(result: CommandResult): Uint8Array {
  const w = new BytesWriter();
  switch (result.type) {
    case 'put':
      w.u8(1).uint(result.revision);
      writeOptionalKv(w, result.prevKv);
      break;
    case 'delete':
      w.u8(2).uint(result.revision).bool(result.deleted);
      writeOptionalKv(w, result.prevKv);
      break;
    case 'deleteRange':
      w.u8(3).uint(result.revision).uint(result.deleted);
      break;
    case 'batchPut':
      w.u8(4).uint(result.revision);
      break;
    case 'txn':
      w.u8(5).uint(result.revision).bool(result.succeeded).uint(result.results.length);
      for (const op of result.results) writeOpResult(w, op);
      break;
    case 'error':
      w.u8(6).string(result.code).string(result.message).bool(result.field !== null);
      if (result.field !== null) w.string(result.field);
      break;
    case 'noop':
      w.u8(7).uint(result.revision);
      break;
    case 'confChange':
    case 'split':
      assert(false, `A ${result.type} result is never stored for a session`);
      break;
    default:
      unreachable(result);
  }
  return w.finish();
}

function writeOpResult(w: BytesWriter, op: OpResult): void {
  switch (op.type) {
    case 'put':
      w.u8(1);
      writeOptionalKv(w, op.prevKv);
      return;
    case 'delete':
      w.u8(2).bool(op.deleted);
      writeOptionalKv(w, op.prevKv);
      return;
    case 'get':
      w.u8(3);
      writeOptionalKv(w, op.kv);
      return;
    case 'range':
      w.u8(4).uint(op.kvs.length);
      for (const kv of op.kvs) writeKeyValue(w, kv);
      w.bool(op.more).uint(op.count);
  }
}

/** Decodes a result this node stored; malformed bytes are a broken invariant. */
export function decodeCommandResult(data: Uint8Array): CommandResult {
  return decodeTrusted('command result', data, readCommandResult);
}

function readCommandResult(r: BytesReader): CommandResult {
  const tag = r.u8();
  switch (tag) {
    case 1:
      return { type: 'put', revision: r.uint(), prevKv: readOptionalKv(r) };
    case 2:
      return { type: 'delete', revision: r.uint(), deleted: r.bool(), prevKv: readOptionalKv(r) };
    case 3:
      return { type: 'deleteRange', revision: r.uint(), deleted: r.uint() };
    case 4:
      return { type: 'batchPut', revision: r.uint() };
    case 5: {
      const revision = r.uint();
      const succeeded = r.bool();
      const results = Array.from({ length: r.uint() }, () => readOpResult(r));
      return { type: 'txn', revision, succeeded, results };
    }
    case 6:
      return { type: 'error', code: readErrorCode(r), message: r.string(), field: r.bool() ? r.string() : null };
    case 7:
      return { type: 'noop', revision: r.uint() };
    default:
      throw new CodecError(`unknown result tag ${tag}`);
  }
}

function readErrorCode(r: BytesReader): KvErrorCode {
  const text = r.string();
  const code = KV_ERROR_CODES.find((c) => c === text);
  if (code === undefined) throw new CodecError(`unknown error code "${text}"`);
  return code;
}

function readOpResult(r: BytesReader): OpResult {
  const tag = r.u8();
  switch (tag) {
    case 1:
      return { type: 'put', prevKv: readOptionalKv(r) };
    case 2:
      return { type: 'delete', deleted: r.bool(), prevKv: readOptionalKv(r) };
    case 3:
      return { type: 'get', kv: readOptionalKv(r) };
    case 4: {
      const kvs = Array.from({ length: r.uint() }, () => readKeyValue(r));
      return { type: 'range', kvs, more: r.bool(), count: r.uint() };
    }
    default:
      throw new CodecError(`unknown op result tag ${tag}`);
  }
}
