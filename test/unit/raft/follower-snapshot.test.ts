/**
 * Regression (simulator seed 197, 5 nodes): a follower whose commit index lags but whose log
 * already holds the snapshot's (index, term) must keep its log, including acknowledged entries
 * after the snapshot, and answer the snapshot as done (thesis Figure 5.3, step 6).
 *
 * Regression (simulator seed 5350, 5 nodes): a snapshot that arrives while a Ready with older
 * committed entries is out must leave the membership at the snapshot's, even when one of those
 * entries is a membership change that advance() then reports applied.
 */
import { describe, expect, it } from 'vitest';
import { founderState } from '../../../src/raft/bootstrap.js';
import { defaultTuning } from '../../../src/raft/config.js';
import { silentLogger } from '../../../src/raft/logger.js';
import { encodeConfChange } from '../../../src/raft/conf-change.js';
import { RaftNode } from '../../../src/raft/node.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { logIndex, nodeId, term } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import { MemoryLogStore } from '../../../src/storage/memory-log-store.js';

const voters = [nodeId(1), nodeId(2), nodeId(3)];
const entry = (index: number): LogEntry => ({ index: logIndex(index), term: term(2), type: 'normal', data: new Uint8Array([index]) });

function followerWithLog(last: number, commit: number): RaftNode {
  const initial = founderState(voters);
  const store = new MemoryLogStore(initial);
  store.append(Array.from({ length: last - 1 }, (_, i) => entry(i + 2)));
  store.setHardState({ term: term(2), vote: null, commit: logIndex(commit) });
  return new RaftNode({ ...defaultTuning, id: nodeId(2), storage: store, applied: logIndex(1), confState: initial.snapshot.conf, rng: new SeededRng(2), logger: silentLogger });
}

describe('follower snapshot handling', () => {
  it('step(installSnapshot) keeps a log that already matches the snapshot and commits up to it', () => {
    const node = followerWithLog(7, 4);
    node.step({ type: 'installSnapshot', from: nodeId(4), to: nodeId(2), term: term(2), meta: { index: logIndex(5), term: term(2), conf: { voters, learners: [] } }, offset: 0, data: new Uint8Array(8), done: false });
    const status = node.status();
    expect([status.lastIndex, status.commit]).toEqual([7, 5]);
    const ready = node.takeReady();
    expect(ready?.snapshotChunk).toBeUndefined();
    expect(ready?.messages).toContainEqual(expect.objectContaining({ type: 'installSnapshotReply', done: true, accepted: true, snapshotIndex: 5 }));
  });

  it('step(installSnapshot) replaces a log whose entry at the snapshot index has another term', () => {
    const node = followerWithLog(7, 4);
    node.step({ type: 'installSnapshot', from: nodeId(4), to: nodeId(2), term: term(3), meta: { index: logIndex(6), term: term(3), conf: { voters, learners: [] } }, offset: 0, data: new Uint8Array(8), done: true });
    expect([node.status().lastIndex, node.status().commit]).toEqual([6, 6]);
    expect(node.takeReady()?.snapshotChunk?.done).toBe(true);
  });

  it('a snapshot stepped while a Ready is out keeps its membership when that Ready advances', () => {
    const initial = founderState(voters);
    const store = new MemoryLogStore(initial);
    // Entry 2 adds n4 as a voter; the snapshot at 9 comes from after n4 was removed again.
    store.append([{ index: logIndex(2), term: term(2), type: 'confChange', data: encodeConfChange({ type: 'addVoter', node: nodeId(4) }) }, entry(3)]);
    store.setHardState({ term: term(2), vote: null, commit: logIndex(3) });
    const node = new RaftNode({ ...defaultTuning, id: nodeId(2), storage: store, applied: logIndex(1), confState: initial.snapshot.conf, rng: new SeededRng(2), logger: silentLogger });
    const ready = node.takeReady();
    expect(ready?.entriesToApply.map((e) => e.index)).toEqual([2, 3]);
    const snapshotConf = { voters, learners: [nodeId(5)] };
    node.step({ type: 'installSnapshot', from: nodeId(1), to: nodeId(2), term: term(2), meta: { index: logIndex(9), term: term(2), conf: snapshotConf }, offset: 0, data: new Uint8Array(8), done: true });
    if (ready !== undefined) node.advance(ready);
    expect(node.status().conf).toEqual(snapshotConf);
    const next = node.takeReady();
    expect(next?.snapshotChunk?.done).toBe(true);
    if (next !== undefined) node.advance(next);
    expect(node.status()).toMatchObject({ conf: snapshotConf, applied: 9, commit: 9 });
  });
});
