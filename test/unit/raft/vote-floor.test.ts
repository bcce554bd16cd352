/**
 * A replica created again after GC under its old node id (FINDINGS.md M4, M5) starts below
 * `voteFloor`, the applied index its deleted predecessor had reached: until its log reaches that
 * index it grants no vote or pre-vote and never campaigns, not even on TimeoutNow. The simulator
 * seeds that found both flaws stopped reproducing them once commit timing changed, so the rule is
 * pinned here directly.
 */
import { describe, expect, it } from 'vitest';
import { defaultTuning } from '../../../src/raft/config.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import type { RaftNode } from '../../../src/raft/node.js';
import { logIndex, term } from '../../../src/shared/ids.js';
import { founder, n1, n2, n3, sent } from './core-helpers.js';

function replica(voteFloor: number | undefined): RaftNode {
  return founder(n2, 7, voteFloor === undefined ? {} : { voteFloor });
}

function tickPastElection(node: RaftNode): RaftMessage[] {
  const out: RaftMessage[] = [];
  for (let i = 0; i < 3 * defaultTuning.electionTicks; i++) {
    node.tick();
    out.push(...sent(node));
  }
  return out;
}

const voteRequest = (preVote: boolean): RaftMessage => ({ type: 'requestVote', from: n3, to: n2, term: term(5), lastLogIndex: logIndex(1), lastLogTerm: term(1), preVote, transfer: false });

describe('voteFloor', () => {
  it('a replica whose log ends below its floor never campaigns, on timeout or on TimeoutNow', () => {
    const node = replica(20);
    expect(tickPastElection(node).filter((m) => m.type === 'requestVote')).toEqual([]);
    node.step({ type: 'timeoutNow', from: n1, to: n2, term: term(1) });
    expect(sent(node).filter((m) => m.type === 'requestVote')).toEqual([]);
    expect(node.role).toBe('follower');
  });

  it('grants neither a pre-vote nor a vote below its floor', () => {
    for (const preVote of [true, false]) {
      const node = replica(20);
      node.step(voteRequest(preVote));
      expect(sent(node)).toContainEqual(expect.objectContaining({ type: 'requestVoteReply', preVote, granted: false }));
    }
  });

  it('without a floor the same replica campaigns and grants (the contrast)', () => {
    expect(tickPastElection(replica(undefined)).some((m) => m.type === 'requestVote')).toBe(true);
    const node = replica(undefined);
    node.step(voteRequest(false));
    expect(sent(node)).toContainEqual(expect.objectContaining({ type: 'requestVoteReply', granted: true }));
  });
});
