/**
 * Which Ready messages may leave before the write (src/raft/send-order.ts): a leader's appends and
 * heartbeats of a durable term, and nothing else; and the leader counts itself only in advance().
 */
import { describe, expect, it } from 'vitest';
import { founderState } from '../../../src/raft/bootstrap.js';
import { defaultTuning } from '../../../src/raft/config.js';
import { silentLogger } from '../../../src/raft/logger.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import { RaftNode } from '../../../src/raft/node.js';
import { splitBySendOrder } from '../../../src/raft/send-order.js';
import { logIndex, nodeId, term } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import { MemoryLogStore } from '../../../src/storage/memory-log-store.js';

const [n1, n2] = [nodeId(1), nodeId(2)];
const envelope = { from: n1, to: n2, term: term(3) };
const append: RaftMessage = { ...envelope, type: 'appendEntries', prevLogIndex: logIndex(1), prevLogTerm: term(1), entries: [], commit: logIndex(1) };
const heartbeat: RaftMessage = { ...envelope, type: 'heartbeat', commit: logIndex(1), readSeq: 0, quiesce: false };
const ack: RaftMessage = { ...envelope, type: 'appendEntriesReply', success: true, index: logIndex(2), hintIndex: logIndex(0), hintTerm: term(0) };
const vote: RaftMessage = { ...envelope, type: 'requestVoteReply', preVote: false, granted: true };

/** A single voter with a learner: it elects itself without any reply, the case the term rule is for. */
function leaderWithLearner(): { node: RaftNode; store: MemoryLogStore } {
  const initial = founderState([n1]);
  const store = new MemoryLogStore(initial);
  const node = new RaftNode({ ...defaultTuning, id: n1, storage: store, applied: logIndex(1), confState: { voters: [n1], learners: [n2] }, rng: new SeededRng(1), logger: silentLogger });
  for (let i = 0; i < 3 * defaultTuning.electionTicks && node.role !== 'leader'; i++) node.tick();
  return { node, store };
}

describe('send order', () => {
  it('lets appends and heartbeats of the durable term go early, in order', () => {
    const { early, late } = splitBySendOrder([append, ack, heartbeat, vote], term(3));
    expect(early).toEqual([append, heartbeat]);
    expect(late).toEqual([ack, vote]);
  });

  it('holds back appends of a term that is not durable yet', () => {
    expect(splitBySendOrder([append, heartbeat], term(2)).early).toEqual([]);
  });

  it('sends a new single-voter leader appends only after its term is written, then early', () => {
    const { node, store } = leaderWithLearner();
    expect(node.role).toBe('leader');
    const first = node.takeReady();
    expect(first?.hardState?.term).toBe(node.term);
    expect(first?.earlyMessages).toEqual([]);
    expect(first?.messages.some((m) => m.type === 'appendEntries' && m.to === n2)).toBe(true);
    if (first === undefined) return;
    if (first.hardState !== undefined) store.setHardState(first.hardState);
    store.append(first.entriesToPersist);
    node.advance(first);
    // The learner answers the probe, so appends to it are pipelined from here on.
    const lastIndex = node.status().lastIndex;
    node.step({ from: n2, to: n1, term: node.term, type: 'appendEntriesReply', success: true, index: lastIndex, hintIndex: logIndex(0), hintTerm: term(0) });

    const proposed = node.propose(new Uint8Array([7]));
    expect(proposed.ok).toBe(true);
    const second = node.takeReady();
    expect(second?.earlyMessages.some((m) => m.type === 'appendEntries' && m.entries.length === 1)).toBe(true);
    // Not durable yet, so not counted: the commit stays below the new entry until advance().
    const index = proposed.ok ? proposed.value.index : 0;
    expect(node.status().progress.get(n1)?.match).toBeLessThan(index);
    expect(node.status().commit).toBeLessThan(index);
    if (second === undefined) return;
    store.append(second.entriesToPersist);
    node.advance(second);
    expect(node.status().progress.get(n1)?.match).toBe(index);
    expect(node.status().commit).toBe(index);
  });
});
