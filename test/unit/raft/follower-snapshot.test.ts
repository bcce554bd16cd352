/**
 * Regression (simulator seed 197, 5 nodes): a follower whose commit index lags but whose log
 * already holds the snapshot's (index, term) must keep its log, including acknowledged entries
 * after the snapshot, and answer the snapshot as done (thesis Figure 5.3, step 6).
 */
import { describe, expect, it } from 'vitest';
import { founderState } from '../../../src/raft/bootstrap.js';
import { defaultTuning } from '../../../src/raft/config.js';
import { silentLogger } from '../../../src/raft/logger.js';
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
});
