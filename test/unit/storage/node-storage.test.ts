// NodeStorage: group commit (the Ready output of many groups in one SQLite transaction), its
// atomicity when one group's part is invalid, and recovery of every group after a reopen.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InvariantError } from '../../../src/shared/assert.js';
import { groupId, logIndex, nodeId, term } from '../../../src/shared/ids.js';
import type { HardState } from '../../../src/raft/types.js';
import type { NodeStorage } from '../../../src/storage/node-storage.js';
import { bootstrap, commandEntry, dbPath, entries, entry, g1, g2, openNode, put, removeTempDirs, tempDir } from './helpers.js';

let file: string;
let node: NodeStorage;

beforeEach(async () => {
  file = dbPath(tempDir());
  node = openNode(file);
  await node.openGroup(g1, bootstrap);
  await node.openGroup(g2, bootstrap);
});

afterEach(() => {
  if (node.db.sqlite.open) node.close();
  removeTempDirs();
});

function hard(t: number, commit: number): HardState {
  return { term: term(t), vote: nodeId(1), commit: logIndex(commit) };
}

describe('NodeStorage.persistBatch', () => {
  it('writes hard state and entries of two groups in one transaction', () => {
    const begin = vi.spyOn(node.db, 'transaction');
    node.persistBatch([
      { group: g1, hardState: hard(1, 2), entries: entries(1, 3, 1) },
      { group: g2, hardState: hard(4, 0), entries: entries(1, 1, 4) },
    ]);
    expect(begin).toHaveBeenCalledTimes(1);
    begin.mockRestore();
    expect([node.group(g1).log.lastIndex(), node.group(g1).log.hardState().commit]).toEqual([3, 2]);
    expect([node.group(g2).log.lastIndex(), node.group(g2).log.hardState().term]).toEqual([1, 4]);
  });

  it('syncs a batch with entries, term or vote, but not one that only moves commit indexes', () => {
    node.persistBatch([{ group: g1, hardState: hard(1, 0), entries: entries(1, 3, 1) }]);
    const synced = vi.spyOn(node.db, 'transaction');
    const unsynced = vi.spyOn(node.db, 'transactionUnsynced');
    node.persistBatch([{ group: g1, hardState: hard(1, 2), entries: [] }]);
    expect([synced.mock.calls.length, unsynced.mock.calls.length]).toEqual([1, 1]); // unsynced runs transaction() inside
    node.persistBatch([{ group: g1, hardState: hard(2, 2), entries: [] }]);
    expect([synced.mock.calls.length, unsynced.mock.calls.length]).toEqual([2, 1]);
    synced.mockRestore();
    unsynced.mockRestore();
    expect(node.group(g1).log.hardState()).toEqual(hard(2, 2));
  });

  it('writes nothing for any group when one group part is invalid', async () => {
    node.persistBatch([{ group: g1, entries: entries(1, 2, 1) }]);
    expect(() =>
      node.persistBatch([
        { group: g1, hardState: hard(2, 1), entries: entries(3, 2, 2) },
        { group: g2, entries: [entry(5, 1)] }, // a gap: g2 is empty
      ]),
    ).toThrow(InvariantError);
    // Memory was reloaded from SQLite: g1 shows its state before the failed batch.
    expect([node.group(g1).log.lastIndex(), node.group(g1).log.hardState().term]).toEqual([2, 0]);
    node.close();
    node = openNode(file);
    const { log } = await node.openGroup(g1, bootstrap);
    expect([log.lastIndex(), log.hardState().term]).toEqual([2, 0]);
  });

  it('refuses the same group twice in one batch', () => {
    expect(() => node.persistBatch([{ group: g1, entries: [] }, { group: g1, entries: [] }])).toThrow(/twice/);
  });

  it('recovers hard state, log and applied index of every group after close and reopen', async () => {
    node.persistBatch([
      { group: g1, hardState: hard(1, 2), entries: [commandEntry(1, put('a', '1')), commandEntry(2, put('b', '2'))] },
      { group: g2, hardState: hard(3, 1), entries: [commandEntry(1, put('x', '9'), 3)] },
    ]);
    const g1Log = node.group(g1).log;
    node.group(g1).kv.apply(g1Log.entries(logIndex(1), logIndex(3), 1 << 20));
    node.group(g2).kv.apply(node.group(g2).log.entries(logIndex(1), logIndex(2), 1 << 20));
    node.close();

    node = openNode(file);
    const one = await node.openGroup(g1, bootstrap);
    const two = await node.openGroup(g2, bootstrap);
    expect([one.log.hardState(), one.log.lastIndex(), one.kv.appliedIndex(), one.kv.revision()]).toEqual([hard(1, 2), 2, 2, 2]);
    expect([two.log.hardState(), two.log.lastIndex(), two.kv.appliedIndex()]).toEqual([hard(3, 1), 1, 1]);
    expect(two.log.term(logIndex(1))).toBe(3);
    expect(one.kv.get(new TextEncoder().encode('b')).kv?.modRevision).toBe(2);
    const three = await node.openGroup(groupId(3), bootstrap);
    expect([three.log.lastIndex(), three.kv.appliedIndex()]).toEqual([0, 0]);
  });
});

describe('stored groups', () => {
  it('storedGroups() lists the groups that have durable state, in order', async () => {
    const node = openNode(dbPath(tempDir()));
    await node.openGroup(g2, bootstrap);
    await node.openGroup(g1, bootstrap);
    expect(node.storedGroups()).toEqual([]);
    node.persistBatch([{ group: g2, entries: [], hardState: { term: term(1), vote: null, commit: logIndex(0) } }, { group: g1, entries: [], hardState: { term: term(1), vote: null, commit: logIndex(0) } }]);
    expect(node.storedGroups()).toEqual([g1, g2]);
    node.close();
  });
});
