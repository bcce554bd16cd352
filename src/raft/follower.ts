/**
 * Messages handled by followers and (pre-)candidates: appends and heartbeats from the leader
 * (thesis §3.5), chunked snapshots (§5.2 / Figure 5.3), TimeoutNow (§3.10) and answers to reads
 * this node forwarded to the leader (§6.4).
 */
import { logIndex, type LogIndex } from '../shared/ids.js';
import { campaign } from './election.js';
import type { AppendEntries, Heartbeat, InstallSnapshot, RaftMessage, ReadIndexReply } from './messages.js';
import type { RaftNode } from './node.js';

export function stepFollower(node: RaftNode, m: RaftMessage): void {
  switch (m.type) {
    case 'appendEntries':
    case 'heartbeat':
    case 'installSnapshot':
      if (node.leader !== null && node.leader !== m.from) {
        // A second leader in one term cannot exist (Election Safety): a broken or lying member.
        // Following it would let it commit entries the real leader never did; drop it.
        node.logger.warn({ term: node.term, peer: m.from, leader: node.leader }, 'dropped message from a second leader of this term');
        return;
      }
      // A leader of our term exists: a (pre-)candidate stands down, everyone resets the timer.
      if (node.role !== 'follower' || node.leader !== m.from) node.becomeFollower(m.term, m.from);
      node.electionElapsed = 0;
      if (m.type === 'appendEntries') handleAppend(node, m);
      else if (m.type === 'heartbeat') handleHeartbeat(node, m);
      else handleSnapshotChunk(node, m);
      return;
    case 'timeoutNow':
      if (node.isPromotable()) {
        node.logger.info({ term: node.term, peer: m.from }, 'campaigning on timeout-now');
        campaign(node, 'transfer');
      }
      return;
    case 'readIndexReply':
      handleReadIndexReply(node, m);
      return;
    case 'readIndexRequest':
      // We are not the leader (any more): refuse so the asker fails fast instead of timing out.
      node.send({ type: 'readIndexReply', from: node.id, to: m.from, term: node.term, requestId: m.requestId, index: logIndex(0), rejected: true, overloaded: false });
      return;
    default:
      return; // Replies meant for a leader that we no longer are.
  }
}

function handleAppend(node: RaftNode, m: AppendEntries): void {
  const reply = { type: 'appendEntriesReply', from: node.id, to: m.from, term: node.term } as const;
  if (m.prevLogIndex < node.log.committed) {
    // Everything up to our commit index matches the leader already (Log Matching).
    node.send({ ...reply, success: true, index: node.log.committed, hintIndex: logIndex(0), hintTerm: node.term });
    return;
  }
  if (!node.log.matchTerm(m.prevLogIndex, m.prevLogTerm)) {
    const hintIndex = node.log.findConflictByTerm(logIndex(Math.min(m.prevLogIndex, node.log.lastIndex())), m.prevLogTerm);
    const hintTerm = node.log.term(hintIndex) ?? node.log.snapshotMeta().term;
    node.logger.debug({ term: node.term, index: m.prevLogIndex, hintIndex }, 'rejected append');
    node.send({ ...reply, success: false, index: m.prevLogIndex, hintIndex, hintTerm });
    return;
  }
  const conflict = node.log.findConflict(m.entries);
  if (conflict !== 0) {
    const first = m.entries[0];
    const offset = first === undefined ? 0 : conflict - first.index;
    node.log.append(m.entries.slice(offset));
  }
  const lastNew = logIndex(m.prevLogIndex + m.entries.length);
  node.log.commitTo(logIndex(Math.min(m.commit, lastNew)));
  node.send({ ...reply, success: true, index: lastNew, hintIndex: logIndex(0), hintTerm: node.term });
}

function handleHeartbeat(node: RaftNode, m: Heartbeat): void {
  // The leader sends min(our match, its commit), so every entry up to it is known to match.
  node.log.commitTo(logIndex(Math.min(m.commit, node.log.lastIndex())));
  node.send({ type: 'heartbeatReply', from: node.id, to: m.from, term: node.term, readSeq: m.readSeq });
}

function handleSnapshotChunk(node: RaftNode, m: InstallSnapshot): void {
  const reply = (offset: number, done: boolean, accepted: boolean): void =>
    node.send({ type: 'installSnapshotReply', from: node.id, to: m.from, term: node.term, snapshotIndex: m.meta.index, offset, done, accepted });
  const end = m.offset + m.data.byteLength;
  if (m.meta.index <= node.log.committed || node.log.matchTerm(m.meta.index, m.meta.term)) {
    // We already hold everything this snapshot covers (Log Matching), and maybe entries after it
    // that we acknowledged: installing would drop those (thesis Figure 5.3, step 6). Keep the log,
    // commit what the snapshot proves committed, and let the leader probe from after it.
    node.log.commitTo(logIndex(Math.max(node.log.committed, m.meta.index)));
    node.receivingSnapshot = null;
    reply(end, true, true);
    return;
  }
  if (m.offset === 0 && node.receivingSnapshot?.index !== m.meta.index) {
    node.receivingSnapshot = { index: m.meta.index, offset: 0 };
  }
  const receiving = node.receivingSnapshot;
  const inOrder = receiving !== null && receiving.index === m.meta.index && receiving.offset === m.offset;
  if (!inOrder || node.snapshotChunk !== null) {
    // Out of order, a duplicate, or the previous chunk is not persisted yet: say where we are.
    reply(receiving?.index === m.meta.index ? receiving.offset : 0, false, false);
    return;
  }
  receiving.offset = end;
  node.snapshotChunk = { meta: m.meta, offset: m.offset, data: m.data, done: m.done };
  if (m.done) {
    node.log.restore(m.meta);
    node.conf = m.meta.conf;
    node.confIndex = m.meta.index;
    node.receivingSnapshot = null;
    node.logger.info({ term: node.term, index: m.meta.index, leader: m.from }, 'received snapshot');
  }
  reply(end, m.done, true);
}

function handleReadIndexReply(node: RaftNode, m: ReadIndexReply): void {
  if (!node.forwardedReads.delete(m.requestId)) return; // Already dropped; the caller moved on.
  if (m.rejected && m.overloaded) node.readsRefused.push(m.requestId);
  else if (m.rejected) node.readsDropped.push(m.requestId);
  else node.readStates.push({ requestId: m.requestId, index: m.index as LogIndex });
}
