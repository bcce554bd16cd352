/**
 * Goal: ground truth about what is committed, for "committed entries never change or disappear"
 * and for leader completeness. Method: facts come only from state a node holds:
 *  - a node whose status shows commit c at term U proves entries up to c were committed by term U;
 *  - a node that durably wrote commit c holds the committed entries up to c in its log;
 *  - an applied entry is committed.
 * Each committed index gets the key of its entry the first time a fact names it; any later fact
 * with another entry at that index, or a write that loses it, is a violation.
 */
import { logIndex, type LogIndex, type NodeId } from '../../../src/shared/ids.js';
import type { LogReader } from '../../../src/raft/log-reader.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { entryKey } from '../kv-state-machine.js';
import type { WriteDone } from '../sim-node.js';
import { SafetyViolation } from './violation.js';

export function storedEntry(store: LogReader, index: number): LogEntry | undefined {
  if (index < store.firstIndex() || index > store.lastIndex()) return undefined;
  return store.entries(logIndex(index), logIndex(index + 1), Number.MAX_SAFE_INTEGER)[0];
}

export function shortKey(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key);
}

export class CommittedLog {
  /** index -> entry key of the committed entry there. */
  private readonly keys = new Map<number, string>();
  /** term -> highest commit index any node reported while in that term. */
  private readonly commitByTerm = new Map<number, number>();
  /** node -> highest durable commit index whose entries were recorded. */
  private readonly recordedTo = new Map<NodeId, number>();

  keyAt(index: number): string | undefined {
    return this.keys.get(index);
  }

  get entryCount(): number {
    return this.keys.size;
  }

  recordCommitSeen(term: number, commit: number): void {
    if (commit > (this.commitByTerm.get(term) ?? 0)) this.commitByTerm.set(term, commit);
  }

  /** Highest index known committed by a term before `term`: a leader of `term` must hold them all. */
  committedBefore(term: number): number {
    let highest = 0;
    for (const [t, commit] of this.commitByTerm) if (t < term && commit > highest) highest = commit;
    return highest;
  }

  record(index: number, entry: LogEntry, where: string): void {
    const key = entryKey(entry);
    const known = this.keys.get(index);
    if (known === undefined) this.keys.set(index, key);
    else if (known !== key) {
      throw new SafetyViolation('committed-entries', `Committed entry ${index} changed: it was ${shortKey(known)}, ${where} holds ${shortKey(key)}`);
    }
  }

  /**
   * After a durable write: the entries under the node's durable commit are recorded (and must agree
   * with what is known committed). A node may still hold or write a stale entry at an index
   * committed elsewhere (it follows a deposed leader): that is legal until it claims it committed.
   * Which entries a write may drop is log-truncation.ts's concern.
   */
  persisted(node: NodeId, write: WriteDone, store: LogReader): void {
    const commit = write.ready.hardState?.commit;
    if (commit !== undefined) this.recordDurableCommit(node, commit, store);
  }

  private recordDurableCommit(node: NodeId, commit: LogIndex, store: LogReader): void {
    if (commit > store.lastIndex()) {
      throw new SafetyViolation('durable-state', `Node ${node} made commit ${commit} durable but its log ends at ${store.lastIndex()}`);
    }
    const from = Math.max(store.firstIndex(), (this.recordedTo.get(node) ?? 0) + 1);
    for (let index = from; index <= commit; index++) {
      const entry = storedEntry(store, index);
      if (entry !== undefined) this.record(index, entry, `node ${node}'s log (durable commit ${commit})`);
    }
    if (commit > (this.recordedTo.get(node) ?? 0)) this.recordedTo.set(node, commit);
  }
}
