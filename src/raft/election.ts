/**
 * Elections: randomized timeouts (thesis §3.4), PreVote (§9.6), the leader lease that CheckQuorum
 * makes possible (§6.2, §9.6: a node that heard from a leader recently ignores vote requests), and
 * the term rules every message goes through first.
 */
import { term as toTerm, type NodeId, type Term } from '../shared/ids.js';
import { TERM_MAX, TERM_RISE_PER_WINDOW_MAX } from '../shared/limits.js';
import type { RaftMessage, RequestVote, RequestVoteReply } from './messages.js';
import type { RaftNode } from './node.js';
import { tallyVotes } from './quorum.js';

export function tickElection(node: RaftNode): void {
  if (node.quiesced) return; // The leader said the group is idle; the runtime wakes us if it dies.
  node.electionElapsed++;
  if (node.isPromotable() && node.electionElapsed >= node.randomizedElectionTicks) {
    node.electionElapsed = 0;
    campaign(node, node.cfg.preVote ? 'preVote' : 'election');
  }
}

export type CampaignKind = 'preVote' | 'election' | 'transfer';

export function campaign(node: RaftNode, kind: CampaignKind): void {
  if (!node.isPromotable()) return;
  if (node.term >= TERM_MAX) {
    // Peers refuse terms past TERM_MAX (src/shared/limits.ts); reaching it takes millennia of
    // elections, or a bug. Stay a follower rather than overflow or talk into a void.
    node.logger.warn({ term: node.term }, 'cannot campaign: the term is at its limit');
    return;
  }
  if (kind === 'preVote') node.becomePreCandidate();
  else node.becomeCandidate();
  const preVote = kind === 'preVote';
  const campaignTerm = preVote ? toTerm(node.term + 1) : node.term;
  if (tallyVotes(node.conf.voters, node.votes) === 'won') {
    wonCampaign(node, preVote);
    return;
  }
  for (const to of node.conf.voters) {
    if (to === node.id) continue;
    node.send({
      type: 'requestVote',
      from: node.id,
      to,
      term: campaignTerm,
      lastLogIndex: node.log.lastIndex(),
      lastLogTerm: node.log.lastTerm(),
      preVote,
      transfer: kind === 'transfer',
    });
  }
}

function wonCampaign(node: RaftNode, preVote: boolean): void {
  if (preVote) campaign(node, 'election');
  else node.becomeLeader();
}

/** Within an election timeout of hearing from a live leader (only meaningful with CheckQuorum). */
function inLease(node: RaftNode): boolean {
  if (!node.cfg.checkQuorum) return false;
  // With lease reads, a restarted node may have acknowledged a lease it no longer remembers.
  if (node.cfg.leaseReads && node.ticksSinceStart < node.cfg.electionTicks) return true;
  return node.leader !== null && node.electionElapsed < node.cfg.electionTicks;
}

/**
 * Applies the term rules to any message; returns false if the message must be dropped.
 * Filters stale and disruptive input before anything else looks at it.
 */
export function handleTerm(node: RaftNode, m: RaftMessage): boolean {
  if (m.term > node.term) {
    const ceiling = toTerm(node.termWindowBase + TERM_RISE_PER_WINDOW_MAX);
    if (m.term > ceiling) {
      riseTowards(node, ceiling, m);
      return false;
    }
    return handleHigherTerm(node, m);
  }
  if (m.term < node.term) {
    handleLowerTerm(node, m);
    return false;
  }
  return true;
}

function handleHigherTerm(node: RaftNode, m: RaftMessage): boolean {
  if (m.type === 'requestVote') {
    // A node that heard from its leader recently ignores campaigns (unless the leader asked for
    // one via TimeoutNow): this is what keeps a rejoining node from disrupting a healthy cluster.
    if (!m.transfer && inLease(node)) {
      node.logger.debug({ term: node.term, peer: m.from, leader: node.leader }, 'ignored vote request in lease');
      return false;
    }
    if (m.preVote) return true; // Answering a pre-vote never changes our term.
  }
  if (m.type === 'requestVoteReply' && m.preVote && m.granted) return true; // Granted at our future term.
  const fromLeader = m.type === 'appendEntries' || m.type === 'heartbeat' || m.type === 'installSnapshot';
  node.becomeFollower(m.term, fromLeader ? m.from : null, m.type !== 'requestVote');
  return true;
}

/**
 * A message names a term beyond what this node may reach in this election timeout. Raft would
 * adopt it; doing so blindly lets one buggy or replayed message from a member push every node to
 * a term it can never leave (issue #14: 2^53 - 1). The message itself is dropped, which is always
 * safe (the network may drop anything). The node's term still moves up to the ceiling, no
 * further: safe like any term change that clears the vote, and needed for liveness both ways. A
 * node that fell far behind (away for many elections) catches up one window per election
 * timeout, and so does a whole group that a node got ahead of. Refusing instead would shut that
 * node out for good: the leader's messages would be stale to it and its own too far for
 * everyone else (a Jepsen run with kill and forge did exactly that). Skipped where Raft would not
 * change the term either (a pre-vote request, a vote request inside the leader lease), and in the
 * first election timeout after start, when a live leader's heartbeat is due anyway. See
 * docs/raft-core.md, "Terms from peers".
 */
function riseTowards(node: RaftNode, ceiling: Term, m: RaftMessage): void {
  const keepsTerm = m.type === 'requestVote' && (m.preVote || (!m.transfer && inLease(node)));
  const justStarted = node.ticksSinceStart < node.cfg.electionTicks;
  if (keepsTerm || justStarted || node.term >= ceiling) {
    node.logger.debug({ term: node.term, peer: m.from, ceiling }, 'dropped message with a far higher term');
    return;
  }
  node.logger.warn({ term: node.term, peer: m.from, ceiling }, 'message names a far higher term: raising ours by the window only');
  node.becomeFollower(ceiling, null, false);
}

function handleLowerTerm(node: RaftNode, m: RaftMessage): void {
  if (m.type === 'appendEntries' || m.type === 'heartbeat') {
    // A stale leader (e.g. cut off while we moved on) learns our term from this and steps down.
    node.send({
      type: 'appendEntriesReply', from: node.id, to: m.from, term: node.term, success: false,
      index: node.log.lastIndex(), hintIndex: node.log.lastIndex(), hintTerm: node.log.lastTerm(),
    });
  } else if (m.type === 'requestVote' && m.preVote) {
    // Tell the pre-candidate our term so it stops campaigning from behind.
    node.send({ type: 'requestVoteReply', from: node.id, to: m.from, term: node.term, preVote: true, granted: false });
  }
}

export function handleRequestVote(node: RaftNode, m: RequestVote): void {
  const canVote =
    node.vote === m.from ||
    (node.vote === null && node.leader === null) ||
    (m.preVote && m.term > node.term);
  const belowFloor = node.log.lastIndex() < (node.cfg.voteFloor ?? 0);
  const granted = canVote && !belowFloor && node.hooks().isUpToDate(m.lastLogIndex, m.lastLogTerm);
  node.send({
    type: 'requestVoteReply',
    from: node.id,
    to: m.from,
    term: granted ? m.term : node.term,
    preVote: m.preVote,
    granted,
  });
  if (granted && !m.preVote) {
    node.vote = m.from;
    node.electionElapsed = 0;
  }
  node.logger.debug({ term: node.term, peer: m.from, preVote: m.preVote, granted }, 'answered vote request');
}

export function handleVoteReply(node: RaftNode, m: RequestVoteReply): void {
  const expecting = (node.role === 'preCandidate' && m.preVote) || (node.role === 'candidate' && !m.preVote);
  if (!expecting) return;
  node.votes.set(m.from as NodeId, m.granted);
  const outcome = tallyVotes(node.conf.voters, node.votes);
  if (outcome === 'won') wonCampaign(node, m.preVote);
  else if (outcome === 'lost') node.becomeFollower(node.term, null);
}
