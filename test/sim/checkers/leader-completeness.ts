/**
 * Goal: Leader Completeness (thesis §3.6.3): a leader of term T holds every entry committed in a
 * term before T. Method: when a node is first seen leading T, note it; at its first durable write of
 * a Ready taken after that (when its log, no-op included, is on its disk) compare its log with
 * every entry known committed by a term before T. Entries under its snapshot are covered by the
 * state machine digest check instead.
 * Why "before T" and not "every committed entry": a vote delayed in the network can complete an
 * election for term T after a leader of a later term has already committed more; that is legal.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { LogReader } from '../../../src/raft/log-reader.js';
import { entryKey } from '../kv-state-machine.js';
import { shortKey, storedEntry, type CommittedLog } from './committed-log.js';
import { SafetyViolation } from './violation.js';

interface PendingCheck {
  readonly term: number;
  readonly afterReady: number;
}

export class LeaderCompleteness {
  private readonly pending = new Map<NodeId, PendingCheck>();
  checks = 0;

  constructor(private readonly committed: CommittedLog) {}

  elected(node: NodeId, term: number, readiesTaken: number): void {
    this.pending.set(node, { term, afterReady: readiesTaken });
  }

  crashed(node: NodeId): void {
    this.pending.delete(node);
  }

  persisted(node: NodeId, readySeq: number, store: LogReader): void {
    const check = this.pending.get(node);
    if (check === undefined || readySeq <= check.afterReady) return;
    this.pending.delete(node);
    this.checks++;
    const through = this.committed.committedBefore(check.term);
    if (store.lastIndex() < through) {
      throw new SafetyViolation('leader-completeness', `Leader ${node} of term ${check.term} has a log ending at ${store.lastIndex()}, but entry ${through} was committed before its term`);
    }
    for (let index = Math.max(1, store.firstIndex()); index <= through; index++) {
      const known = this.committed.keyAt(index);
      const entry = storedEntry(store, index);
      if (known === undefined || entry === undefined || entryKey(entry) === known) continue;
      throw new SafetyViolation('leader-completeness', `Leader ${node} of term ${check.term} holds ${shortKey(entryKey(entry))} at index ${index}, where ${shortKey(known)} was committed before its term`);
    }
  }
}
