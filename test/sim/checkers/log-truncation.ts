/**
 * Goal: a node drops entries from its log only for the reasons Raft allows: an entry from the
 * leader conflicts with one it holds (thesis Figure 3.1, AppendEntries step 3) or a snapshot
 * describes state its log does not match (Figure 5.3, step 7); and never an entry at or below its
 * own durable commit index. Entries a node acknowledged count toward commitment, so dropping one
 * without a conflict can lose a committed entry. Method: every durable write reports the stored
 * entries it replaced or discarded and the lowest index where it wrote a different term; each
 * discarded entry must be at or after that index. (A node may lose an entry committed elsewhere
 * when a stale leader overwrites it: a conflict, so legal; it had not acknowledged it in the
 * committing term.)
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { LogReader } from '../../../src/raft/log-reader.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { entryKey } from '../kv-state-machine.js';
import type { WriteDone } from '../sim-node.js';
import { shortKey, storedEntry } from './committed-log.js';
import { SafetyViolation } from './violation.js';

function describeWrite(write: WriteDone): string {
  const { outcome } = write;
  const snapshot = outcome.snapshot?.meta;
  if (snapshot === undefined) return `writing entries from ${write.ready.entriesToPersist[0]?.index ?? '?'}`;
  const before = outcome.termAtSnapshotBefore === undefined ? 'no entry' : `term ${outcome.termAtSnapshotBefore}`;
  return `installing snapshot ${snapshot.index}/t${snapshot.term} over a log ending at ${outcome.lastIndexBefore} (with ${before} at ${snapshot.index})`;
}

export function checkTruncation(node: NodeId, write: WriteDone, store: LogReader): void {
  const { removed, commitBefore, conflictIndex } = write.outcome;
  for (const old of removed) {
    if (old.index <= store.snapshotMeta().index || isKept(old, store)) continue;
    if (old.index <= commitBefore) {
      throw new SafetyViolation('committed-entries', `Node ${node} dropped entry ${old.index} (${shortKey(entryKey(old))}) at or below its durable commit ${commitBefore} when ${describeWrite(write)}`);
    }
    if (conflictIndex === undefined || conflictIndex > old.index) {
      throw new SafetyViolation('log-truncation', `Node ${node} dropped entry ${old.index} (${shortKey(entryKey(old))}) without a conflicting entry at or before it when ${describeWrite(write)}`);
    }
  }
}

function isKept(old: LogEntry, store: LogReader): boolean {
  const now = storedEntry(store, old.index);
  return now !== undefined && entryKey(now) === entryKey(old);
}
