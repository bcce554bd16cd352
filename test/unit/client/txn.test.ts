// Goal: transactions encode to the TxnRequest shape the server decodes (src/server/requests.ts) and
// responses decode back; the builder appends and refuses to be awaited.
import { describe, expect, it } from 'vitest';
import { compare, decodeTxnResponse, encodeTxn, op, TxnBuilder } from '../../../src/client/txn.js';

const b = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('compare', () => {
  it.each([
    ['=', 'EQUAL'],
    ['!=', 'NOT_EQUAL'],
    ['<', 'LESS'],
    ['>', 'GREATER'],
  ] as const)('value() with %s encodes op %s and a bytes operand', (symbol, name) => {
    expect(encodeTxn([compare.value('k', symbol, 'v')], [], []).compares).toEqual([{ key: b('k'), target: 'VALUE', op: name, value: b('v') }]);
  });

  it.each([
    ['version', compare.version, 'VERSION'],
    ['createRevision', compare.createRevision, 'CREATE_REVISION'],
    ['modRevision', compare.modRevision, 'MOD_REVISION'],
  ] as const)('%s() encodes a decimal-string number operand', (_name, make, target) => {
    expect(encodeTxn([make('k', '>', 42)], [], []).compares).toEqual([{ key: b('k'), target, op: 'GREATER', number: '42' }]);
  });

  it('accepts bytes as well as strings', () => {
    const key = new Uint8Array([0, 255]);
    expect(compare.value(key, '=', new Uint8Array([1]))).toEqual({ key, target: 'value', op: '=', value: new Uint8Array([1]) });
  });
});

describe('op', () => {
  it('put, delete, get and range encode as the TxnOp oneof members', () => {
    expect(encodeTxn([], [op.put('a', '1', { prevKv: true }), op.delete('b'), op.get('c')], [op.range({ prefix: 'p/' }, { limit: 5, keysOnly: true })])).toEqual({
      compares: [],
      success: [
        { put: { key: b('a'), value: b('1'), prevKv: true } },
        { delete: { key: b('b'), prevKv: false } },
        { get: { key: b('c') } },
      ],
      failure: [{ range: { start: b('p/'), prefix: true, limit: '5', keysOnly: true, countOnly: false } }],
    });
  });

  it('range over [start, end) and from start on', () => {
    expect(encodeTxn([], [op.range({ start: 'a', end: 'm' }), op.range({ start: 'a' })], []).success).toEqual([
      { range: { start: b('a'), end: b('m'), limit: '0', keysOnly: false, countOnly: false } },
      { range: { start: b('a'), end: new Uint8Array([0]), limit: '0', keysOnly: false, countOnly: false } },
    ]);
  });
});

describe('decodeTxnResponse()', () => {
  it('decodes each result kind and the header', () => {
    const kv = { key: b('a'), value: b('1'), version: '2', createRevision: '3', modRevision: '4' };
    const result = decodeTxnResponse({
      header: { groupId: '0', revision: '9', raftTerm: '2', nodeId: '1', serializable: false },
      succeeded: true,
      results: [
        { put: { prevKv: kv }, result: 'put' },
        { delete: { deleted: true, prevKv: null }, result: 'delete' },
        { get: { found: true, kv }, result: 'get' },
        { get: { found: false, kv: null }, result: 'get' },
        { range: { kvs: [kv], more: true, count: '7' }, result: 'range' },
      ],
    });
    expect(result.succeeded).toBe(true);
    expect(result.header.revision).toBe(9);
    expect(result.results.map((r) => r.type)).toEqual(['put', 'delete', 'get', 'get', 'range']);
    const [put, del, found, missing, range] = result.results;
    expect(put?.type === 'put' && put.prevKv?.text()).toBe('1');
    expect(del?.type === 'delete' && del.deleted).toBe(true);
    expect(found?.type === 'get' && found.kv?.version).toBe(2);
    expect(missing?.type === 'get' && missing.kv).toBeNull();
    expect(range?.type === 'range' && [range.count, range.more, range.kvs[0]?.keyText()]).toEqual([7, true, 'a']);
  });

  it('refuses a count that is not a safe integer', () => {
    expect(() => decodeTxnResponse({ succeeded: true, results: [{ range: { kvs: [], more: false, count: '9007199254740993' } }] })).toThrow(/safe integer/);
  });
});

describe('TxnBuilder', () => {
  it('if(), then() and else() append, and commit() sends the encoded request', async () => {
    let sent: unknown;
    const builder = new TxnBuilder((request) => {
      sent = request;
      return Promise.resolve({ succeeded: true, results: [], header: { groupId: 0, revision: 1, raftTerm: 1, nodeId: 1, serializable: false } });
    });
    await builder.if(compare.version('a', '=', 0)).if(compare.value('b', '=', 'x')).then(op.put('a', '1')).else(op.get('a')).else(op.get('b')).commit();
    expect(sent).toEqual(encodeTxn(
      [compare.version('a', '=', 0), compare.value('b', '=', 'x')],
      [op.put('a', '1')],
      [op.get('a'), op.get('b')],
    ));
  });

  it('rejects being awaited instead of hanging', async () => {
    const builder = new TxnBuilder(() => Promise.reject(new Error('not sent')));
    const thenable: PromiseLike<unknown> = builder as unknown as PromiseLike<unknown>;
    await expect(Promise.resolve(thenable)).rejects.toThrow(/call \.commit\(\)/);
  });
});
