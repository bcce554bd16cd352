/**
 * Goal: every commit index a leader reaches rests on a majority of durable copies (thesis §3.6),
 * checked at the leader itself, not only through what other checkers later see. This is the
 * condition that lets a leader send appends before its own write (src/raft/send-order.ts): it may
 * count itself only once its disk holds the entries, and a follower's ack must promise the same.
 * Method: after each event, for a leader whose commit moved within its term, count the voters of
 * its configuration whose disk (which survives crashes) holds the entry at that index with the
 * leader's term there, or a snapshot at or past it.
 */
import type { LogIndex, NodeId, Term } from '../../../src/shared/ids.js';
import type { LogReader } from '../../../src/raft/log-reader.js';
import { majority } from '../../../src/raft/quorum.js';
import type { ObservedNode } from './checker-suite.js';
import { SafetyViolation } from './violation.js';

export interface CommitQuorumView {
  /** What a node's disk holds, crashed or not. */
  durableLog(node: NodeId): LogReader | undefined;
  /** Term of the entry at `index` in a running node's log (durable or not). */
  termAt(node: NodeId, index: LogIndex): Term | undefined;
}

export class CommitQuorum {
  /** node -> the leadership term and commit index last checked. */
  private readonly checked = new Map<NodeId, { term: number; commit: number }>();

  check(nodes: readonly ObservedNode[], view: CommitQuorumView): void {
    for (const { id, status } of nodes) {
      if (status.role !== 'leader') continue;
      const last = this.checked.get(id);
      this.checked.set(id, { term: status.term, commit: status.commit });
      // A commit inherited when elected was checked at the leader that made it.
      if (last === undefined || last.term !== status.term || status.commit <= last.commit) continue;
      const term = view.termAt(id, status.commit);
      const holders = status.conf.voters.filter((voter) => holds(view.durableLog(voter), status.commit, term));
      if (holders.length < majority(status.conf.voters.length)) {
        throw new SafetyViolation('commit-quorum', `Leader ${id} of term ${status.term} committed ${status.commit}, but only [${holders.join(', ')}] of voters [${status.conf.voters.join(', ')}] hold it durably`);
      }
    }
  }
}

function holds(log: LogReader | undefined, index: LogIndex, term: Term | undefined): boolean {
  if (log === undefined) return false;
  return log.snapshotMeta().index >= index || (term !== undefined && log.term(index) === term);
}
