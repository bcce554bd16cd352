/**
 * The leader's side: replicating the log with per-follower progress and pipelining (thesis §3.5,
 * §10.2.1), committing (§3.6.2), heartbeats and CheckQuorum (§6.2), ReadIndex (§6.4), chunked
 * snapshots (§5.2), leadership transfer (§3.10) and reacting to membership changes (§4.2.2).
 */
import { logIndex, type LogIndex, type NodeId } from '../shared/ids.js';
import type { AppendEntriesReply, HeartbeatReply, InstallSnapshotReply, RaftMessage } from './messages.js';
import type { RaftNode } from './node.js';
import type { Progress } from './progress.js';
import { majority, quorumMin } from './quorum.js';
import { isIdle, maybeQuiesce } from './quiescence.js';
import type { CoreResult } from './ready.js';
import type { ConfChange } from './types.js';

export function tickLeader(node: RaftNode): void {
  node.leaderTicks++; // Counts while quiesced too, so the lease runs out (quiescence.ts).
  if (node.quiesced) return;
  // Judged before CheckQuorum below clears every follower's recentActive flag for the next window.
  const idle = isIdle(node);
  node.heartbeatElapsed++;
  node.electionElapsed++;
  if (node.electionElapsed >= node.cfg.electionTicks) {
    node.electionElapsed = 0;
    if (node.cfg.checkQuorum && !quorumActive(node)) {
      node.logger.warn({ term: node.term }, 'lost quorum, stepping down');
      node.becomeFollower(node.term, null);
      return;
    }
    if (node.leadTransferee !== null) {
      node.logger.info({ term: node.term, peer: node.leadTransferee }, 'leadership transfer timed out');
      node.leadTransferee = null;
    }
  }
  if (node.heartbeatElapsed >= node.cfg.heartbeatTicks) {
    node.heartbeatElapsed = 0;
    if (maybeQuiesce(node, idle)) broadcastHeartbeat(node, 0, true);
    else broadcastHeartbeat(node, node.reads.takeHeartbeatRound());
  }
}

/** CheckQuorum: did a majority of voters (counting us) talk to us during the last timeout? */
function quorumActive(node: RaftNode): boolean {
  let active = 0;
  for (const id of node.conf.voters) {
    const pr = node.progress.get(id);
    if (id === node.id || pr?.recentActive === true) active++;
  }
  for (const [id, pr] of node.progress) if (id !== node.id) pr.recentActive = false;
  return active >= majority(node.conf.voters.length);
}

export function stepLeader(node: RaftNode, m: RaftMessage): void {
  const pr = node.progress.get(m.from);
  if (m.type === 'readIndexRequest') {
    const result = leaderReadIndex(node, m.requestId, m.from);
    if (!result.ok) replyRead(node, m.from, m.requestId, null, result.error.code === 'OVERLOADED');
    return;
  }
  if (pr === undefined) return; // Not a member (any more).
  pr.recentActive = true;
  switch (m.type) {
    case 'appendEntriesReply':
      handleAppendReply(node, pr, m);
      return;
    case 'heartbeatReply':
      handleHeartbeatReply(node, pr, m);
      return;
    case 'installSnapshotReply':
      handleSnapshotReply(node, pr, m);
      return;
    default:
      return;
  }
}

function handleAppendReply(node: RaftNode, pr: Progress, m: AppendEntriesReply): void {
  // A follower cannot match past our last entry: we never sent it more (a broken member).
  if (m.success && m.index > node.log.lastIndex()) return;
  if (!m.success) {
    if (m.index <= pr.match && m.hintIndex < pr.match) {
      // The follower's log ends below its match: it lost entries (see lostLog), or this refusal
      // is older than the acknowledgement and arrived late. Probing again is right for the first
      // and costs one probe for the second, which the follower answers with where its log ends.
      pr.lostLog(m.hintIndex);
      sendAppend(node, m.from, true);
      return;
    }
    const probeFrom = node.log.findConflictByTerm(m.hintIndex, m.hintTerm);
    if (pr.maybeDecrTo(m.index, probeFrom)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(node, m.from, true);
    }
    return;
  }
  const updated = pr.maybeUpdate(m.index);
  if (updated) {
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'replicate') pr.freeInflightsUpTo(m.index);
    maybeCommit(node); // followers learn it with the next append or heartbeat (maybeCommit says why)
    if (m.from === node.leadTransferee && pr.match === node.log.lastIndex()) sendTimeoutNow(node, m.from);
  }
  // Keep the pipe full: send whatever this follower still lacks.
  while (!pr.isPaused() && pr.next <= node.log.lastIndex()) {
    if (!sendAppend(node, m.from, false)) break;
  }
}

function handleHeartbeatReply(node: RaftNode, pr: Progress, m: HeartbeatReply): void {
  if (m.readSeq > 0 && !pr.isLearner) {
    node.reads.ack(m.from, m.readSeq);
    releaseReads(node);
    renewLease(node);
  }
  // The resend below recovers lost appends or a lost probe, once per tick. Read rounds bring
  // heartbeat replies hundreds of times a second, and each resend reads up to appendBytesMax of
  // old entries from SQLite: unthrottled, a leader catching up a restarted follower spent all its
  // time here and went silent (bench fault-kill-follower: 1.3 s without writes, then an election).
  if (pr.heartbeatResendTick === node.leaderTicks) return;
  pr.heartbeatResendTick = node.leaderTicks;
  pr.probeSent = false;
  if (pr.state === 'replicate') pr.freeOneInflight();
  if (pr.state === 'snapshot') resendSnapshotIfStalled(node, m.from, pr);
  // An empty append still probes: if appends were lost the follower rejects and we back off.
  else if (pr.match < node.log.lastIndex()) sendAppend(node, m.from, true);
}

function handleSnapshotReply(node: RaftNode, pr: Progress, m: InstallSnapshotReply): void {
  const transfer = pr.snapshot;
  if (pr.state !== 'snapshot' || transfer === null || transfer.index !== m.snapshotIndex) return;
  transfer.sentAtTick = null;
  if (m.done && m.accepted) {
    pr.maybeUpdate(m.snapshotIndex);
    pr.becomeProbe();
    node.logger.info({ term: node.term, peer: m.from, index: m.snapshotIndex }, 'snapshot transfer done');
    sendAppend(node, m.from, true);
    return;
  }
  transfer.offset = m.offset;
  sendSnapshotChunk(node, m.from, pr);
}

/**
 * Sends the next append to `to`, or a snapshot chunk if the entries it needs are compacted.
 * Returns false if nothing was sent.
 */
export function sendAppend(node: RaftNode, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = node.progress.get(to);
  if (pr === undefined || pr.isPaused()) return false;
  const prevLogIndex = logIndex(pr.next - 1);
  const prevLogTerm = node.log.term(prevLogIndex);
  if (prevLogTerm === undefined || pr.next < node.log.firstIndex()) {
    startSnapshot(node, to, pr);
    return true;
  }
  const last = node.log.lastIndex();
  const entries = pr.next <= last ? node.log.entries(pr.next, logIndex(last + 1), node.cfg.appendBytesMax) : [];
  if (entries.length === 0 && !sendIfEmpty) return false;
  node.send({ type: 'appendEntries', from: node.id, to, term: node.term, prevLogIndex, prevLogTerm, entries, commit: node.log.committed });
  pr.sentEntries(logIndex(prevLogIndex + entries.length), entries.length);
  return true;
}

function startSnapshot(node: RaftNode, to: NodeId, pr: Progress): void {
  const meta = node.log.snapshotMeta();
  pr.becomeSnapshot(meta.index);
  node.logger.info({ term: node.term, peer: to, index: meta.index }, 'sending snapshot');
  sendSnapshotChunk(node, to, pr);
}

function sendSnapshotChunk(node: RaftNode, to: NodeId, pr: Progress): void {
  const transfer = pr.snapshot;
  if (transfer === null) return;
  const meta = node.log.snapshotMeta();
  const chunk = meta.index === transfer.index
    ? node.cfg.storage.snapshotChunk(transfer.index, transfer.offset, node.cfg.snapshotChunkBytesMax)
    : undefined;
  if (chunk === undefined) {
    // A newer snapshot replaced the one being sent: start over with it.
    pr.becomeSnapshot(meta.index);
    if (meta.index !== transfer.index) sendSnapshotChunk(node, to, pr);
    return;
  }
  transfer.sentAtTick = node.leaderTicks;
  node.send({ type: 'installSnapshot', from: node.id, to, term: node.term, meta, offset: transfer.offset, data: chunk.data, done: chunk.done });
}

function resendSnapshotIfStalled(node: RaftNode, to: NodeId, pr: Progress): void {
  const sentAt = pr.snapshot?.sentAtTick;
  if (sentAt === null || sentAt === undefined) return;
  if (node.leaderTicks - sentAt >= node.cfg.electionTicks) sendSnapshotChunk(node, to, pr);
}

function broadcastHeartbeat(node: RaftNode, readSeq: number, quiesce = false): void {
  if (readSeq > 0) node.roundSentAt.set(readSeq, node.leaderTicks);
  for (const [to, pr] of node.progress) {
    if (to === node.id) continue;
    const commit = logIndex(Math.min(pr.match, node.log.committed));
    node.send({ type: 'heartbeat', from: node.id, to, term: node.term, commit, readSeq, quiesce });
  }
}

/** Sends what proposals and commit advances of this turn owe, batched into one append per peer. */
export function flushBroadcasts(node: RaftNode): void {
  if (node.broadcastPending) {
    node.broadcastPending = false;
    for (const to of node.progress.keys()) if (to !== node.id) sendAppend(node, to, true);
  }
  const round = node.reads.takeRoundToSend(node.conf.voters, node.id);
  if (round !== null) broadcastHeartbeat(node, round);
  releaseReads(node); // A single voter confirms its reads alone.
}

/**
 * Advances the commit index to what a majority has; true if it moved.
 *
 * A new commit index is not broadcast on its own (etcd does): followers learn it with the next
 * append, which under load comes within the same round trip, or else with the next heartbeat, one
 * tick later. An empty append per commit cost every follower a whole round (a message in, a
 * transaction, a reply out) for each write at low load, about a fifth of the cluster's CPU per
 * write with one client, for nothing a client waits on: the leader answers writes and reads, and a
 * follower serving a forwarded read learns the commit from that read's heartbeat round (or, for a
 * read without a round, from an append sent with the answer: leaderReadIndex).
 * A membership change that moves the commit itself and a leader's removal broadcast at once
 * (confChanged).
 */
function maybeCommit(node: RaftNode): boolean {
  const index = logIndex(quorumMin(node.conf.voters, (id) => node.progress.get(id)?.match ?? 0));
  if (index <= node.log.committed || !node.hooks().canCommitAt(index)) return false;
  node.log.commitTo(index);
  while ((node.uncommitted[0]?.[0] ?? Infinity) <= index) {
    const done = node.uncommitted.shift();
    if (done !== undefined) node.uncommittedBytes -= done[1];
  }
  if (node.log.term(index) === node.term) startAwaitingReads(node);
  return true;
}

/** Our own entries became durable: count them like a follower's acknowledgement. */
export function selfPersisted(node: RaftNode): void {
  const self = node.progress.get(node.id);
  if (self !== undefined && self.maybeUpdate(node.log.persistedIndex())) maybeCommit(node);
}

export function leaderReadIndex(node: RaftNode, requestId: string, from: NodeId): CoreResult<void> {
  if (node.reads.size + node.readsAwaitingCommit.length >= node.cfg.pendingReadsMax) {
    return node.fail('OVERLOADED', `Cannot serve read: ${node.cfg.pendingReadsMax} reads already wait for confirmation`);
  }
  if (node.log.term(node.log.committed) !== node.term) {
    node.readsAwaitingCommit.push({ requestId, from }); // Our commit index is not known current yet.
    return { ok: true, value: undefined };
  }
  if (!node.hooks().readNeedsRound()) {
    answerRead(node, from, requestId, node.log.committed);
    // A follower applies up to the index before it answers: send it the commit now. (A read that
    // needs a round gets it from that round's heartbeat, sent after the read's index was taken.)
    if (from !== node.id) sendAppend(node, from, true);
    return { ok: true, value: undefined };
  }
  node.reads.add(requestId, node.log.committed, from);
  return { ok: true, value: undefined };
}

function startAwaitingReads(node: RaftNode): void {
  const waiting = node.readsAwaitingCommit;
  node.readsAwaitingCommit = [];
  for (const read of waiting) leaderReadIndex(node, read.requestId, read.from);
}

function releaseReads(node: RaftNode): void {
  for (const read of node.reads.release(node.conf.voters, node.id)) answerRead(node, read.from, read.requestId, read.index);
}

function answerRead(node: RaftNode, from: NodeId, requestId: string, index: LogIndex): void {
  if (from === node.id) node.readStates.push({ requestId, index });
  else replyRead(node, from, requestId, index);
}

/** `index` null refuses the read; `overloaded` says why, when it is not a leadership problem. */
function replyRead(node: RaftNode, to: NodeId, requestId: string, index: LogIndex | null, overloaded = false): void {
  node.send({ type: 'readIndexReply', from: node.id, to, term: node.term, requestId, index: index ?? logIndex(0), rejected: index === null, overloaded });
}

/** Leadership lost: local reads are dropped, forwarded ones refused so followers fail fast. */
export function dropLeaderReads(node: RaftNode): void {
  const all = [...node.reads.drain(), ...node.readsAwaitingCommit];
  for (const read of all) {
    if (read.from === node.id) node.readsDropped.push(read.requestId);
    else replyRead(node, read.from, read.requestId, null);
  }
}

export function startTransfer(node: RaftNode, to: NodeId): void {
  if (node.leadTransferee === to) return;
  node.leadTransferee = to;
  node.transferStartedThisTerm = true;
  node.electionElapsed = 0; // The transfer must finish within one election timeout.
  node.logger.info({ term: node.term, peer: to }, 'transferring leadership');
  const pr = node.progress.get(to);
  if (pr !== undefined && pr.match === node.log.lastIndex()) sendTimeoutNow(node, to);
  else sendAppend(node, to, true);
}

function sendTimeoutNow(node: RaftNode, to: NodeId): void {
  node.send({ type: 'timeoutNow', from: node.id, to, term: node.term });
}

/** Called after a membership change is applied while we lead. */
export function confChanged(node: RaftNode, change: ConfChange): void {
  const member = node.conf.voters.includes(change.node) || node.conf.learners.includes(change.node);
  if (!member) node.progress.delete(change.node);
  else if (!node.progress.has(change.node)) node.addProgress(change.node);
  const pr = node.progress.get(change.node);
  if (pr !== undefined) pr.isLearner = node.conf.learners.includes(change.node);
  if (node.leadTransferee === change.node && !node.conf.voters.includes(change.node)) node.leadTransferee = null;
  if (maybeCommit(node)) node.broadcastPending = true;
  releaseReads(node);
  if (!node.isPromotable()) {
    // Removed (or demoted) leader: tell followers the commit index, then step down (thesis §4.2.2).
    node.broadcastPending = true;
    flushBroadcasts(node);
    node.becomeFollower(node.term, null);
  }
}

/**
 * Leader leases (thesis §6.4.1). A voter that answered a heartbeat sent at leader tick T reset
 * its election timer on receipt, after T; with CheckQuorum it then refuses votes and pre-votes for
 * electionTicks of its own ticks (election.ts, inLease). A new leader needs one of a majority that
 * answered, so none can exist before T + electionTicks on that voter's clock. Assumption: no
 * node's ticks run more than CLOCK_DRIFT_BOUND faster than ours; we stop one more tick early for
 * tick granularity. TimeoutNow bypasses leases, so a term that started a transfer gets none.
 */
export const CLOCK_DRIFT_BOUND = 0.1;

export function leaseTicks(electionTicks: number): number {
  return electionTicks - 1 - Math.ceil(electionTicks * CLOCK_DRIFT_BOUND);
}

function renewLease(node: RaftNode): void {
  const round = node.reads.confirmedRound(node.conf.voters, node.id);
  const sentAt = node.roundSentAt.get(round);
  if (sentAt === undefined) return;
  node.leaseExpiresAtTick = Math.max(node.leaseExpiresAtTick, sentAt + leaseTicks(node.cfg.electionTicks));
  for (const r of node.roundSentAt.keys()) if (r < round) node.roundSentAt.delete(r);
}

export function leaseRead(node: RaftNode): CoreResult<LogIndex> {
  if (node.role !== 'leader') return node.notLeader();
  if (!node.cfg.leaseReads) return node.fail('INVALID_ARGUMENT', 'Cannot serve a lease read: lease reads are not enabled (leaseReads)');
  if (node.log.term(node.log.committed) !== node.term) return node.fail('BUSY', 'Cannot serve a lease read: no entry of this term is committed yet');
  if (node.transferStartedThisTerm) return node.fail('BUSY', 'Cannot serve a lease read: a leadership transfer was started this term');
  const alone = node.conf.voters.length === 1 && node.conf.voters[0] === node.id;
  if (!alone && node.leaderTicks >= node.leaseExpiresAtTick) return node.fail('BUSY', 'Cannot serve a lease read: the lease has expired');
  return { ok: true, value: node.log.committed };
}
