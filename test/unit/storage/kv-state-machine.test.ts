// KvStateMachine: etcd-style versions and revisions, range reads, txn compares and branches,
// membership changes, and the atomicity of a batch with its applied index.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvariantError } from '../../../src/shared/assert.js';
import { logIndex, nodeId, term } from '../../../src/shared/ids.js';
import { encodeConfChange } from '../../../src/raft/conf-change.js';
import type { LogEntry } from '../../../src/raft/types.js';
import type { Compare, KvCommand } from '../../../src/storage/kv-command.js';
import type { KvStateMachine } from '../../../src/storage/kv-state-machine.js';
import type { CommandResult, KeyValue, RangeQuery } from '../../../src/storage/kv-types.js';
import type { NodeStorage } from '../../../src/storage/node-storage.js';
import { b, bootstrap, bootstrapConf, commandEntry, dbPath, dumpTable, entry, g1, openNode, put, removeTempDirs, tempDir, text } from './helpers.js';

let node: NodeStorage;
let kv: KvStateMachine;
let next = 1;

function apply(...commands: KvCommand[]): CommandResult[] {
  const list = commands.map((command) => commandEntry(next++, command));
  return kv.apply(list).map((applied) => applied.result);
}

function del(key: string, prevKv = false): KvCommand {
  return { type: 'delete', key: b(key), prevKv, timeMs: 1 };
}

function summary(item: KeyValue | null): string {
  return item === null ? 'none' : `${text(item.key)}=${text(item.value)} v${item.version} c${item.createRevision} m${item.modRevision}`;
}

function keysOf(query: RangeQuery): string[] {
  return kv.range(query).kvs.map((item) => text(item.key));
}

beforeEach(async () => {
  node = openNode(dbPath(tempDir()));
  kv = (await node.openGroup(g1, bootstrap)).kv;
  next = 1;
});

afterEach(() => {
  node.close();
  removeTempDirs();
});

describe('KvStateMachine versions and revisions', () => {
  it('put() creates a key at version 1 and each write bumps version and modRevision', () => {
    apply(put('a', '1'), put('b', '1'), put('a', '2'));
    expect(summary(kv.get(b('a')).kv)).toBe('a=2 v2 c1 m3');
    expect(summary(kv.get(b('b')).kv)).toBe('b=1 v1 c2 m2');
    expect(kv.revision()).toBe(3);
  });

  it('delete() removes the key, so the next put starts again at version 1', () => {
    apply(put('a', '1'), put('a', '2'), del('a'), put('a', '3'));
    expect(summary(kv.get(b('a')).kv)).toBe('a=3 v1 c4 m4');
  });

  it('a delete of a missing key changes nothing and does not move the revision', () => {
    const [result] = apply(del('missing', true));
    expect(result).toEqual({ type: 'delete', revision: 0, deleted: false, prevKv: null });
    expect(kv.revision()).toBe(0);
  });

  it('put() returns the previous key only when prevKv is asked for', () => {
    const results = apply(put('a', '1'), put('a', '2', { prevKv: true }), put('a', '3'));
    expect(results[1]).toMatchObject({ type: 'put', revision: 2, prevKv: { version: 1, modRevision: 1 } });
    expect(results[2]).toEqual({ type: 'put', revision: 3, prevKv: null });
  });

  it('batchPut() writes every key at one new revision', () => {
    const [result] = apply({ type: 'batchPut', items: [{ key: b('x'), value: b('1') }, { key: b('y'), value: b('2') }], timeMs: 1 });
    expect(result).toEqual({ type: 'batchPut', revision: 1 });
    expect([summary(kv.get(b('x')).kv), summary(kv.get(b('y')).kv)]).toEqual(['x=1 v1 c1 m1', 'y=2 v1 c1 m1']);
  });

  it('deleteRange() deletes [start, end) or a prefix and moves the revision once', () => {
    apply(put('a1', ''), put('a2', ''), put('b1', ''), put('b2', ''), put('c', ''));
    const results = apply({ type: 'deleteRange', range: { start: b('a2'), end: b('b2') }, timeMs: 1 }, { type: 'deleteRange', range: { prefix: b('z') }, timeMs: 1 });
    expect(results).toEqual([{ type: 'deleteRange', revision: 6, deleted: 2 }, { type: 'deleteRange', revision: 6, deleted: 0 }]);
    expect(keysOf({ prefix: new Uint8Array(0) })).toEqual(['a1', 'b2', 'c']);
  });

  it('an empty entry is a no-op and an invalid command an error result; both advance applied', () => {
    const applied = kv.apply([entry(1, 1), entry(2, 1, Uint8Array.from([1, 99]))]);
    expect(applied.map((a) => a.result.type)).toEqual(['noop', 'error']);
    expect(kv.appliedIndex()).toBe(2);
  });

  it('a confChange entry updates the membership in the same transaction', () => {
    const data = encodeConfChange({ type: 'addLearner', node: nodeId(4) });
    const [applied] = kv.apply([{ index: logIndex(1), term: term(1), type: 'confChange', data }]);
    expect(applied?.result).toEqual({ type: 'confChange', conf: { voters: bootstrapConf.voters, learners: [4] } });
    expect(kv.confState().learners).toEqual([4]);
  });

  it('apply() refuses entries that do not follow the applied index', () => {
    expect(() => kv.apply([entry(2, 1)])).toThrow(InvariantError);
  });
});

describe('KvStateMachine range()', () => {
  beforeEach(() => {
    apply(...['b', 'a', 'a/2', 'a/1', 'a/10', 'c', '\u00ff'].map((key) => put(key, `v-${key}`)));
  });

  it.each<[string, RangeQuery, string[]]>([
    ['all keys in byte order', { start: new Uint8Array(0) }, ['a', 'a/1', 'a/10', 'a/2', 'b', 'c', '\u00ff']],
    ['[start, end)', { start: b('a/'), end: b('b') }, ['a/1', 'a/10', 'a/2']],
    ['from start to the end', { start: b('b') }, ['b', 'c', '\u00ff']],
    ['a prefix', { prefix: b('a/1') }, ['a/1', 'a/10']],
    ['a limit', { start: new Uint8Array(0), limit: 2 }, ['a', 'a/1']],
    ['after a key', { prefix: b('a'), after: b('a/10') }, ['a/2']],
  ])('range() returns %s', (_name, query, expected) => {
    expect(keysOf(query)).toEqual(expected);
  });

  it('range() pages through a prefix with limit and after, with more and count', () => {
    const first = kv.range({ prefix: b('a'), limit: 3 });
    expect(first.kvs.map((item) => text(item.key))).toEqual(['a', 'a/1', 'a/10']);
    expect([first.more, first.count, first.revision]).toEqual([true, 4, 7]);
    const last = first.kvs[first.kvs.length - 1];
    const second = kv.range({ prefix: b('a'), limit: 3, ...(last === undefined ? {} : { after: last.key }) });
    expect(second.kvs.map((item) => text(item.key))).toEqual(['a/2']);
    expect([second.more, second.count]).toEqual([false, 4]);
  });

  it('range() with keysOnly leaves values empty, and with countOnly returns only the count', () => {
    const keys = kv.range({ prefix: b('a/'), keysOnly: true });
    expect(keys.kvs.map((item) => item.value.byteLength)).toEqual([0, 0, 0]);
    expect(keys.kvs[0]?.version).toBe(1);
    expect(kv.range({ prefix: b('a/'), countOnly: true })).toEqual({ kvs: [], more: false, count: 3, revision: 7 });
  });
});

describe('KvStateMachine bounded range steps (paged Range RPC)', () => {
  beforeEach(() => {
    apply(...['b', 'a', 'a/2', 'a/1', 'a/10', 'c', '\u00ff'].map((key) => put(key, `v-${key}`)));
  });

  it('rows() stops at rowsMax, and before the row that passes bytesMax but never at zero rows', () => {
    const all = { start: new Uint8Array(0) };
    const rows = (after: string | null, rowsMax: number, bytesMax: number) => {
      const got = kv.rows(all, after === null ? null : b(after), { rowsMax, bytesMax, keysOnly: false });
      return [got.kvs.map((item) => text(item.key)), got.more];
    };
    expect(rows(null, 2, 1000)).toEqual([['a', 'a/1'], true]);
    expect(rows('a/1', 10, 1000)).toEqual([['a/10', 'a/2', 'b', 'c', '\u00ff'], false]);
    // 'a'+'v-a' is 4 bytes, 'a/1'+'v-a/1' 8: a bound of 11 holds both, not the 14-byte 'a/10' row.
    expect(rows(null, 10, 12)).toEqual([['a', 'a/1'], true]);
    expect(rows(null, 10, 1)).toEqual([['a'], true]);
  });

  it('countStep() counts a range in steps of rowsMax, naming where the next step starts', () => {
    const steps: [number, string | null][] = [];
    let from: Uint8Array | null = null;
    do {
      const step = kv.countStep({ start: new Uint8Array(0) }, from, 3);
      steps.push([step.counted, step.next === null ? null : text(step.next)]);
      from = step.next;
    } while (from !== null);
    expect(steps).toEqual([[3, 'a/2'], [3, '\u00ff'], [1, null]]);
    expect(kv.countStep({ prefix: b('a/') }, null, 3)).toEqual({ counted: 3, next: null });
  });
});

describe('KvStateMachine txn', () => {
  beforeEach(() => {
    apply(put('k', 'v1'), put('k', 'v2')); // k: version 2, createRevision 1, modRevision 2
  });

  it.each<[string, CompareSpec, boolean]>([
    ['value =', { target: 'value', op: '=', value: b('v2') }, true],
    ['value !=', { target: 'value', op: '!=', value: b('v2') }, false],
    ['value <', { target: 'value', op: '<', value: b('v3') }, true],
    ['value >', { target: 'value', op: '>', value: b('v3') }, false],
    ['version =', { target: 'version', op: '=', number: 2 }, true],
    ['version >', { target: 'version', op: '>', number: 2 }, false],
    ['createRevision <', { target: 'createRevision', op: '<', number: 2 }, true],
    ['modRevision !=', { target: 'modRevision', op: '!=', number: 2 }, false],
  ])('txn compare on %s decides the branch', (_name, target, expected) => {
    const [result] = apply(compare(target));
    expect(result).toMatchObject({ type: 'txn', succeeded: expected });
  });

  it('txn compares on a missing key read version 0 and fail on value', () => {
    const missing = (c: CompareSpec): boolean => {
      const [result] = apply(compare(c, 'nope'));
      return result?.type === 'txn' && result.succeeded;
    };
    expect(missing({ target: 'version', op: '=', number: 0 })).toBe(true);
    expect(missing({ target: 'createRevision', op: '=', number: 0 })).toBe(true);
    expect(missing({ target: 'value', op: '!=', value: b('x') })).toBe(false);
  });

  it('txn runs the success ops in order and sees its own writes, at one revision', () => {
    const [result] = apply({
      type: 'txn',
      compares: [{ key: b('k'), target: 'version', op: '=', number: 2 }],
      success: [
        { type: 'put', key: b('k'), value: b('v3'), prevKv: true },
        { type: 'put', key: b('n'), value: b('new') },
        { type: 'get', key: b('k') },
        { type: 'range', query: { start: new Uint8Array(0), keysOnly: true } },
      ],
      failure: [{ type: 'delete', key: b('k') }],
      timeMs: 1,
    });
    expect(result?.type).toBe('txn');
    if (result?.type !== 'txn') return;
    expect([result.succeeded, result.revision]).toEqual([true, 3]);
    const [putResult, , getResult, rangeResult] = result.results;
    expect(putResult).toMatchObject({ type: 'put', prevKv: { version: 2 } });
    expect(getResult?.type === 'get' ? summary(getResult.kv) : '').toBe('k=v3 v3 c1 m3');
    expect(rangeResult).toMatchObject({ type: 'range', count: 2, more: false });
  });

  it('a failed txn runs the failure ops; a read-only branch leaves the revision alone', () => {
    const [result] = apply({
      type: 'txn',
      compares: [{ key: b('k'), target: 'value', op: '=', value: b('other') }],
      success: [{ type: 'delete', key: b('k') }],
      failure: [{ type: 'get', key: b('k') }],
      timeMs: 1,
    });
    expect(result).toMatchObject({ type: 'txn', succeeded: false, revision: 2, results: [{ type: 'get', kv: { version: 2 } }] });
    expect(kv.revision()).toBe(2);
  });
});

type CompareSpec = DistributiveOmit<Compare, 'key'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A txn whose only compare is `c` on `key`. */
function compare(c: CompareSpec, key = 'k'): KvCommand {
  return { type: 'txn', compares: [{ key: b(key), ...c }], success: [{ type: 'get', key: b(key) }], failure: [], timeMs: 1 };
}

describe('KvStateMachine atomicity', () => {
  it('a batch that throws midway leaves no key, no revision and no applied index behind', () => {
    apply(put('before', '1'));
    const badConfChange: LogEntry = { index: logIndex(3), term: term(1), type: 'confChange', data: Uint8Array.from([99, 0, 0, 0, 0, 0, 0, 0, 0]) };
    const batch = [commandEntry(2, put('during', '1')), badConfChange];
    const rowsBefore = dumpTable(node.db, 'kv', g1);
    expect(() => kv.apply(batch)).toThrow(InvariantError);
    expect(dumpTable(node.db, 'kv', g1)).toEqual(rowsBefore);
    expect([kv.appliedIndex(), kv.revision()]).toEqual([1, 1]);
    expect(dumpTable(node.db, 'apply_state', g1)[0]).toMatchObject({ applied: 1, revision: 1 });
    kv.reload();
    expect([kv.appliedIndex(), kv.get(b('during')).kv]).toEqual([1, null]);
  });

  it('applied index, revision and membership survive closing and reopening the node', async () => {
    apply(put('a', '1'), put('b', '2'));
    kv.apply([{ index: logIndex(3), term: term(1), type: 'confChange', data: encodeConfChange({ type: 'removeNode', node: nodeId(3) }) }]);
    const file = node.db.path;
    node.close();
    node = openNode(file);
    kv = (await node.openGroup(g1, bootstrap)).kv;
    expect([kv.appliedIndex(), kv.revision(), kv.confState().voters]).toEqual([3, 2, [1, 2]]);
    expect(summary(kv.get(b('b')).kv)).toBe('b=2 v1 c2 m2');
  });
});
