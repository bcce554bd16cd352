/**
 * Regression (bench fault-kill-follower): every heartbeat reply from a lagging follower made the
 * leader send it another append, each reading up to appendBytesMax of old entries from storage.
 * Read rounds bring heartbeat replies far more often than ticks, so a leader catching up a
 * restarted follower spent all its time there and went silent until the others elected a new
 * leader. The resend is now once per tick and follower.
 */
import { describe, expect, it } from 'vitest';
import type { RaftMessage } from '../../../src/raft/messages.js';
import type { RaftNode } from '../../../src/raft/node.js';
import type { NodeId, Term } from '../../../src/shared/ids.js';
import { electWith, founder, n1, n2, n3, sent as out } from './core-helpers.js';

/** Node 1 elected with node 2's votes; node 3 never answers. */
function leader(): RaftNode {
  const node = electWith(founder(n1, 3), n2);
  expect(node.role).toBe('leader');
  return node;
}

const heartbeatReply = (from: NodeId, term: Term, readSeq: number): RaftMessage => ({ type: 'heartbeatReply', from, to: n1, term, readSeq });

describe('heartbeat replies from a lagging follower', () => {
  it('lead to at most one resend per tick, however many read rounds they answer', () => {
    const node = leader();
    for (let i = 0; i < 50; i++) expect(node.propose(new Uint8Array([i])).ok).toBe(true);
    out(node);
    const term = node.status().term;
    for (let seq = 1; seq <= 20; seq++) node.step(heartbeatReply(n3, term, seq));
    const appendsToN3 = out(node).filter((m) => m.type === 'appendEntries' && m.to === n3);
    expect(appendsToN3.length).toBe(1);
    node.tick(); // next tick: one more resend is allowed
    node.step(heartbeatReply(n3, term, 21));
    node.step(heartbeatReply(n3, term, 22));
    expect(out(node).filter((m) => m.type === 'appendEntries' && m.to === n3).length).toBe(1);
  });
});
