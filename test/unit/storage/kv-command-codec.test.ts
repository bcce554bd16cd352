// The command encoding: every command shape survives encode/decode, and decoding turns malformed
// or invalid bytes into INVALID_ARGUMENT values (never a throw), since a bad committed entry must
// give every replica the same error result instead of crashing them all.
import { describe, expect, it } from 'vitest';
import { BytesReader, BytesWriter, CodecError } from '../../../src/storage/byte-codec.js';
import type { KvCommand } from '../../../src/storage/kv-command.js';
import { decodeKvCommand, encodeKvCommand } from '../../../src/storage/kv-command-codec.js';
import { decodeCommandResult, encodeCommandResult } from '../../../src/storage/kv-result-codec.js';
import type { CommandResult } from '../../../src/storage/kv-types.js';
import { b } from './helpers.js';

const key = b('k');
const samples: [string, KvCommand][] = [
  ['put', { type: 'put', key, value: b('v'), prevKv: true, timeMs: 5 }],
  ['put with session', { type: 'put', key, value: new Uint8Array(0), prevKv: false, timeMs: 0, session: { id: 'client-é', seq: 300 } }],
  ['put with a session id of exactly 128 UTF-8 bytes', { type: 'put', key, value: b('v'), prevKv: false, timeMs: 0, session: { id: `${'€'.repeat(42)}ab`, seq: 1 } }],
  ['delete', { type: 'delete', key, prevKv: false, timeMs: 2 ** 50 }],
  ['deleteRange start/end', { type: 'deleteRange', range: { start: b('a'), end: b('b') }, timeMs: 1 }],
  ['deleteRange open end', { type: 'deleteRange', range: { start: new Uint8Array(0) }, timeMs: 1 }],
  ['deleteRange prefix', { type: 'deleteRange', range: { prefix: b('p/') }, timeMs: 1 }],
  ['batchPut', { type: 'batchPut', items: [{ key: b('x'), value: b('1') }, { key: b('y'), value: b('2') }], timeMs: 1 }],
  [
    'txn',
    {
      type: 'txn',
      compares: [
        { key, target: 'value', op: '=', value: b('v') },
        { key, target: 'version', op: '>', number: 3 },
        { key: b('z'), target: 'modRevision', op: '!=', number: 0 },
      ],
      success: [
        { type: 'put', key, value: b('w'), prevKv: true },
        { type: 'get', key: b('z') },
        { type: 'range', query: { prefix: b('a'), limit: 10, keysOnly: true, countOnly: false, after: b('a1') } },
      ],
      failure: [{ type: 'delete', key, prevKv: false }, { type: 'range', query: { start: b('a'), end: b('c'), keysOnly: false, countOnly: true } }],
      timeMs: 9,
    },
  ],
];

describe('kv command encoding', () => {
  it.each(samples)('encodeKvCommand() then decodeKvCommand() returns the same %s command', (_name, command) => {
    expect(decodeKvCommand(encodeKvCommand(command))).toEqual({ ok: true, value: command });
  });

  const valid = encodeKvCommand({ type: 'put', key, value: b('v'), timeMs: 1 });
  it.each([
    ['empty input', new Uint8Array(0), 'command'],
    ['an unknown format', Uint8Array.from([9, ...valid.subarray(1)]), 'command'],
    ['an unknown command tag', Uint8Array.from([1, 77, ...valid.subarray(2)]), 'command'],
    ['trailing bytes', Uint8Array.from([...valid, 0]), 'command'],
    ['a truncated body', valid.subarray(0, valid.byteLength - 2), 'command'],
  ])('decodeKvCommand() refuses %s', (_name, bytes, field) => {
    const decoded = decodeKvCommand(bytes);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
  });

  it.each<[string, KvCommand, string]>([
    ['an empty key', { type: 'put', key: new Uint8Array(0), value: b('v'), timeMs: 1 }, 'key'],
    ['a key over keyBytesMax', { type: 'delete', key: new Uint8Array(4097), timeMs: 1 }, 'key'],
    ['a value over valueBytesMax', { type: 'put', key, value: new Uint8Array(1024 * 1024 + 1), timeMs: 1 }, 'value'],
    ['seq 0', { type: 'delete', key, timeMs: 1, session: { id: 's', seq: 0 } }, 'seq'],
    ['an empty session id', { type: 'delete', key, timeMs: 1, session: { id: '', seq: 1 } }, 'session'],
    ['a session id of 43 characters but 129 UTF-8 bytes', { type: 'delete', key, timeMs: 1, session: { id: '€'.repeat(43), seq: 1 } }, 'session'],
    ['end not after start', { type: 'deleteRange', range: { start: b('b'), end: b('a') }, timeMs: 1 }, 'end'],
    ['an empty batchPut', { type: 'batchPut', items: [], timeMs: 1 }, 'items'],
    ['a batchPut writing a key twice', { type: 'batchPut', items: [{ key, value: key }, { key, value: key }], timeMs: 1 }, 'items'],
    ['a txn writing a key twice', { type: 'txn', compares: [], success: [{ type: 'put', key, value: key }, { type: 'delete', key }], failure: [], timeMs: 1 }, 'success'],
    ['a range limit over rangeLimitMax', { type: 'txn', compares: [], success: [{ type: 'range', query: { start: key, limit: 10_001 } }], failure: [], timeMs: 1 }, 'limit'],
  ])('decodeKvCommand() refuses a command with %s', (_name, command, field) => {
    const decoded = decodeKvCommand(encodeKvCommand(command));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
  });
});

describe('byte codec', () => {
  it.each([0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER])('BytesWriter.uint(%d) round-trips', (n) => {
    const reader = new BytesReader(new BytesWriter().uint(n).finish());
    expect(reader.uint()).toBe(n);
    reader.expectEnd();
  });

  it('BytesReader.uint() refuses a varint past 2^53', () => {
    const bytes = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    expect(() => new BytesReader(bytes).uint()).toThrow(CodecError);
  });
});

describe('result encoding', () => {
  const kv = { key, value: b('v'), createRevision: 2, modRevision: 5, version: 3 };
  it.each<[string, CommandResult]>([
    ['put', { type: 'put', revision: 5, prevKv: kv }],
    ['delete', { type: 'delete', revision: 5, deleted: true, prevKv: null }],
    ['deleteRange', { type: 'deleteRange', revision: 7, deleted: 3 }],
    ['batchPut', { type: 'batchPut', revision: 1 }],
    ['error', { type: 'error', code: 'INVALID_ARGUMENT', message: 'Cannot x: y', field: 'seq' }],
    ['noop', { type: 'noop', revision: 0 }],
    [
      'txn',
      {
        type: 'txn',
        revision: 9,
        succeeded: false,
        results: [
          { type: 'get', kv },
          { type: 'range', kvs: [kv, kv], more: true, count: 40 },
          { type: 'put', prevKv: null },
          { type: 'delete', deleted: false, prevKv: null },
        ],
      },
    ],
  ])('encodeCommandResult() then decodeCommandResult() returns the same %s result', (_name, result) => {
    expect(decodeCommandResult(encodeCommandResult(result))).toEqual(result);
  });
});
