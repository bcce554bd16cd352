/**
 * Quiescence: an idle group stops its heartbeats, so a node can host thousands of groups without
 * background traffic growing with them (CockroachDB calls this quiescing ranges). A leader whose
 * log is fully replicated, committed and applied, with nothing waiting (reads, a transfer, a
 * membership change), and whose followers all answered recently, sends one last heartbeat
 * marked `quiesce` after an election timeout of idleness and then stays silent. A follower that
 * gets it, with its log complete, stops its election timer.
 *
 * Anything else wakes the group: a proposal, a read or a transfer at the leader, any other
 * message at a follower (a vote request from a restarted node, say). Silence is ambiguous, so
 * the node host wakes a quiesced follower when the transport loses its connection to the
 * leader's node (`unquiesce()`): that, not heartbeats, is how a dead leader is noticed.
 *
 * Safety does not depend on any of this: a quiesced follower only refuses to campaign, and keeps
 * refusing votes inside its lease, which can cost availability but never agreement. Lease reads
 * stay safe because the leader keeps counting ticks while quiesced, so its lease runs out.
 */
import type { RaftMessage } from './messages.js';
import type { RaftNode } from './node.js';

/** Leader: nothing to replicate, apply, confirm or change, and every follower is caught up and alive. */
export function isIdle(node: RaftNode): boolean {
  const last = node.log.lastIndex();
  if (node.log.unstableEntries().length > 0 || node.log.committed !== last || node.log.applied !== last) return false;
  if (node.reads.size > 0 || node.readsAwaitingCommit.length > 0 || node.leadTransferee !== null) return false;
  if (node.pendingConfIndex > node.log.applied) return false;
  for (const [id, pr] of node.progress) {
    if (id === node.id) continue;
    if (pr.match !== last || pr.state !== 'replicate' || !pr.recentActive) return false;
  }
  return true;
}

/** Called by the leader at each heartbeat time with isIdle() of this tick; true when it goes quiet instead. */
export function maybeQuiesce(node: RaftNode, idle: boolean): boolean {
  if (!node.cfg.quiesce) return false;
  node.idleTicks = idle ? node.idleTicks + node.cfg.heartbeatTicks : 0;
  if (node.idleTicks < node.cfg.electionTicks) return false;
  node.quiesced = true;
  node.logger.debug({ term: node.term, index: node.log.lastIndex() }, 'quiesced');
  return true;
}

/** Leaves the quiet state; a leader resumes heartbeats at once with a fresh CheckQuorum window. */
export function wake(node: RaftNode): void {
  if (!node.quiesced) return;
  node.quiesced = false;
  node.idleTicks = 0;
  node.electionElapsed = 0;
  if (node.role !== 'leader') return;
  node.heartbeatElapsed = node.cfg.heartbeatTicks;
  for (const pr of node.progress.values()) pr.recentActive = true;
}

/** Any message wakes a quiet node, except the leader's quiesce heartbeat and the replies to it. */
export function observed(node: RaftNode, m: RaftMessage): void {
  const quiet = m.type === 'heartbeatReply' || (m.type === 'heartbeat' && m.quiesce);
  if (!quiet) wake(node);
}

/** Follower side of step(), after the term rules: the leader's quiesce heartbeat puts us to sleep. */
export function followerObserved(node: RaftNode, m: RaftMessage): void {
  const quiesceFromLeader = m.type === 'heartbeat' && m.quiesce && m.from === node.leader && m.term === node.term;
  if (quiesceFromLeader && node.role === 'follower' && node.log.committed === node.log.lastIndex()) node.quiesced = true;
}
