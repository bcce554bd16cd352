/**
 * Issue #14: a message with a far-future term must not move a node there in one step (one forged
 * heartbeat at 2^53 - 1 once wedged a whole cluster), yet a node that fell far behind must still
 * catch up, and so must a group that one node got far ahead of. The rule (election.ts, riseTowards;
 * docs/raft-core.md "Terms from peers"): within one election timeout a term rises by at most
 * TERM_RISE_PER_WINDOW_MAX; a message past that is dropped and the node steps up to the ceiling,
 * once per election timeout. Also the other filters for what only a broken member sends.
 */
import { describe, expect, it } from 'vitest';
import { founderState } from '../../../src/raft/bootstrap.js';
import { defaultTuning } from '../../../src/raft/config.js';
import { silentLogger } from '../../../src/raft/logger.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import { RaftNode } from '../../../src/raft/node.js';
import { logIndex, term, type NodeId } from '../../../src/shared/ids.js';
import { TERM_MAX, TERM_RISE_PER_WINDOW_MAX } from '../../../src/shared/limits.js';
import { SeededRng } from '../../../src/shared/rng.js';
import { MemoryLogStore } from '../../../src/storage/memory-log-store.js';
import { electWith, founder, n1, n2, n3, sent } from './core-helpers.js';

const W = TERM_RISE_PER_WINDOW_MAX;
const heartbeat = (from: NodeId, t: number, commit = 0): RaftMessage => ({ type: 'heartbeat', from, to: n1, term: term(t), commit: logIndex(commit), readSeq: 0, quiesce: false });

/** n1 following n2 at term 1 (a live leader it just heard from). */
function follower(): RaftNode {
  const node = founder(n1, 1);
  node.step(heartbeat(n2, 1));
  sent(node);
  expect(node.status()).toMatchObject({ term: 1, leader: n2, role: 'follower' });
  return node;
}

function ticks(node: RaftNode, count: number): void {
  for (let i = 0; i < count; i++) {
    node.tick();
    sent(node);
  }
}

describe('terms far beyond the window', () => {
  it('are never stepped: a node moves only to its ceiling, once per election timeout', () => {
    const node = follower();
    ticks(node, defaultTuning.electionTicks); // past its first election timeout; the window restarts at term 1
    node.step(heartbeat(n2, 1));
    node.step(heartbeat(n3, 2 ** 52, 5));
    expect(node.status()).toMatchObject({ term: 1 + W, leader: null, commit: 1 });
    node.step(heartbeat(n3, 2 ** 52));
    node.step(heartbeat(n3, 1 + W + 1));
    expect(node.status().term).toBe(1 + W);
    node.step(heartbeat(n3, 1 + W)); // within reach: Raft's rules apply
    expect(node.status()).toMatchObject({ term: 1 + W, leader: n3 });
  });

  it('raise a node that fell behind to the ceiling only, once per election timeout, until it catches up', () => {
    const node = founder(n1, 2);
    const start = node.status().term;
    const far = 10 * W + 5;
    node.step(heartbeat(n2, far));
    expect(node.status().term).toBe(start); // just started: a live leader's heartbeat is due anyway
    ticks(node, defaultTuning.electionTicks);
    node.step(heartbeat(n2, far));
    expect(node.status()).toMatchObject({ term: start + W, leader: null });
    node.step(heartbeat(n2, far));
    expect(node.status().term).toBe(start + W);
    let windows = 0;
    while (node.status().leader !== n2) {
      ticks(node, defaultTuning.electionTicks);
      windows++;
      const before = node.status().term;
      node.step(heartbeat(n2, far));
      expect(node.status().term - before).toBeLessThanOrEqual(W + 1);
      expect(windows).toBeLessThanOrEqual(11);
    }
    expect(node.status()).toMatchObject({ term: far, leader: n2, role: 'follower' });
  });

  it('step a leader down by the window only; vote requests in its lease and pre-votes change nothing', () => {
    const node = electWith(founder(n1, 3), n2);
    expect(node.role).toBe('leader');
    const t = node.status().term;
    node.step({ type: 'requestVote', from: n3, to: n1, term: term(t + W + 7), lastLogIndex: logIndex(99), lastLogTerm: term(t), preVote: false, transfer: false });
    node.step({ type: 'requestVote', from: n3, to: n1, term: term(t + W + 7), lastLogIndex: logIndex(99), lastLogTerm: term(t), preVote: true, transfer: false });
    expect(node.status()).toMatchObject({ term: t, role: 'leader' });
    node.step({ type: 'appendEntriesReply', from: n3, to: n1, term: term(t + 2 * W), success: false, index: logIndex(0), hintIndex: logIndex(0), hintTerm: term(0) });
    const s = node.status();
    expect(s.role).toBe('follower');
    expect(s.term).toBeLessThanOrEqual(t + W);
    expect(s.term).toBeGreaterThan(t);
  });
});

describe('what only a broken member sends', () => {
  it('a second leader in one term is not followed', () => {
    const node = follower();
    node.step(heartbeat(n3, 1, 1));
    expect(node.status()).toMatchObject({ term: 1, leader: n2 });
  });

  it('a node at TERM_MAX stays a follower instead of overflowing the term', () => {
    const initial = founderState([n1, n2, n3]);
    const store = new MemoryLogStore(initial);
    store.setHardState({ term: term(TERM_MAX), vote: null, commit: initial.snapshot.index });
    const node = new RaftNode({
      ...defaultTuning, id: n1, storage: store, applied: initial.snapshot.index, confState: initial.snapshot.conf,
      rng: new SeededRng(5), logger: silentLogger,
    });
    ticks(node, 5 * defaultTuning.electionTicks);
    node.step({ type: 'timeoutNow', from: n2, to: n1, term: term(TERM_MAX) });
    expect(node.status()).toMatchObject({ term: TERM_MAX, role: 'follower' });
  });
});
