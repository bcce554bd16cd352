/**
 * Goal: every safety checker behind one object the cluster calls after each event and on each
 * node step. Method: fan node reports out to the checkers that need them; after each event, read
 * every live node's status for election safety, commit facts and newly elected leaders.
 */
import type { LogIndex, NodeId } from '../../../src/shared/ids.js';
import type { LogReader } from '../../../src/raft/log-reader.js';
import type { Ready } from '../../../src/raft/ready.js';
import type { LogEntry } from '../../../src/raft/types.js';
import type { RaftStatus } from '../core.js';
import type { WriteDone } from '../sim-node.js';
import { CommittedLog } from './committed-log.js';
import { checkHardStateStep } from './durable-state.js';
import { ElectionSafety } from './election-safety.js';
import { LeaderCompleteness } from './leader-completeness.js';
import { LinearizableReads } from './linearizable-reads.js';
import { LogMatching } from './log-matching.js';
import { checkTruncation } from './log-truncation.js';
import { StateMachineSafety, type MachineState } from './state-machine-safety.js';

export interface ObservedNode {
  readonly id: NodeId;
  readonly status: RaftStatus;
  readonly readiesTaken: number;
}

export class CheckerSuite {
  readonly committed = new CommittedLog();
  readonly elections = new ElectionSafety();
  readonly logMatching = new LogMatching();
  readonly completeness = new LeaderCompleteness(this.committed);
  readonly stateMachines = new StateMachineSafety(this.committed);
  readonly reads = new LinearizableReads();

  /** Runs after every event; returns the nodes first seen leading their current term. */
  afterEvent(nodes: readonly ObservedNode[]): ObservedNode[] {
    const elected: ObservedNode[] = [];
    for (const node of nodes) {
      const { role, term, commit } = node.status;
      this.committed.recordCommitSeen(term, commit);
      if (this.elections.observe(node.id, role, term)) {
        this.completeness.elected(node.id, term, node.readiesTaken);
        elected.push(node);
      }
    }
    return elected;
  }

  readyTaken(node: NodeId, ready: Ready, store: LogReader): void {
    if (ready.hardState !== undefined) checkHardStateStep(node, store.hardState(), ready.hardState);
    this.logMatching.check(node, ready, store);
  }

  persisted(node: NodeId, write: WriteDone, store: LogReader): void {
    checkTruncation(node, write, store);
    this.committed.persisted(node, write, store);
    this.completeness.persisted(node, write.seq, store);
  }

  snapshotInstalled(node: NodeId, machine: MachineState): void {
    this.stateMachines.snapshotInstalled(node, machine);
  }

  applied(node: NodeId, entry: LogEntry, machine: MachineState): void {
    this.stateMachines.applied(node, entry, machine);
  }

  readServed(node: NodeId, requestId: string, applied: LogIndex): boolean {
    return this.reads.serve(node, requestId, applied);
  }

  crashed(node: NodeId): void {
    this.completeness.crashed(node);
  }
}
