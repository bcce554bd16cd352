/**
 * Which messages of a Ready may leave before its durable write (thesis §10.2.1; etcd-raft lets
 * a leader send appends in parallel with its own disk write too).
 *
 * Early: `appendEntries` and `heartbeat` whose term is already durable (the hard state of the
 * previous Ready, which the caller persisted before taking this one). Why that is safe:
 *  - Durability promises. Neither message acknowledges anything: only replies (append and vote
 *    replies) promise that something is on our disk, and they all stay late.
 *  - The entries. They are the leader's own log. The leader counts itself toward commit only
 *    when advance() reports them durable (replication.selfPersisted reads RaftLog.persistedIndex),
 *    never at takeReady, so a commit always rests on a majority of durable copies, with or without
 *    the leader. If the leader crashes before its write, followers may hold entries it lost; they
 *    are uncommitted entries of its term, which a later leader overwrites or commits like any other
 *    (Log Matching holds because only this leader ever creates entries of this term at an index).
 *  - The commit index carried. It comes from durable matches only (above), so a follower learns
 *    no commit that a crash of the leader could undo, even if the leader's own hard state with that
 *    commit is still being written.
 *  - The term. A term not yet durable could be forgotten by a crash; the restarted node could then
 *    lead the same term again with a different log (a single voter elects itself without any vote
 *    reply), and a learner that heard both would break Log Matching. So a message of a term this
 *    Ready is still writing waits for the write. A candidate's vote requests are late, so any leader
 *    of several voters already had its term durable before a vote reply could arrive.
 * Sending an early message after the write is always correct too: early is a permission.
 */
import type { Term } from '../shared/ids.js';
import type { RaftMessage } from './messages.js';

export interface SendOrder {
  readonly early: RaftMessage[];
  readonly late: RaftMessage[];
}

/** Splits `messages` (in order) given the term of the last durable hard state. */
export function splitBySendOrder(messages: readonly RaftMessage[], durableTerm: Term): SendOrder {
  const early: RaftMessage[] = [];
  const late: RaftMessage[] = [];
  for (const message of messages) {
    if (maySendEarly(message, durableTerm)) early.push(message);
    else late.push(message);
  }
  return { early, late };
}

function maySendEarly(message: RaftMessage, durableTerm: Term): boolean {
  return (message.type === 'appendEntries' || message.type === 'heartbeat') && message.term === durableTerm;
}
