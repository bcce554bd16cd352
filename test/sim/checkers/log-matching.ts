/**
 * Goal: the Log Matching property (thesis §3.5): two logs holding an entry with the same index
 * and term are identical up to it. Method: induction instead of pairwise comparison. Every entry a
 * core hands over for persisting is keyed by (index, term) and must agree with every other such
 * entry on its bytes and on the term of the entry before it; then by induction whole prefixes agree.
 * Checked when the Ready is taken, so writes later lost to a crash are covered too. Terms must also
 * never decrease along a log.
 */
import { logIndex, type NodeId } from '../../../src/shared/ids.js';
import type { LogReader } from '../../../src/raft/log-reader.js';
import type { Ready } from '../../../src/raft/ready.js';
import { entryKey } from '../kv-state-machine.js';
import { shortKey } from './committed-log.js';
import { SafetyViolation } from './violation.js';

export class LogMatching {
  /** `${index}:${term}` -> `${previous term}|${entry key}`. */
  private readonly seen = new Map<string, string>();

  check(node: NodeId, ready: Ready, store: LogReader): void {
    const snapshot = ready.snapshotChunk?.done === true ? ready.snapshotChunk.meta : undefined;
    let previousIndex = -1;
    let previousTerm = 0;
    for (const entry of ready.entriesToPersist) {
      const prevTerm = entry.index - 1 === previousIndex ? previousTerm
        : entry.index - 1 === snapshot?.index ? snapshot.term
        : store.term(logIndex(entry.index - 1));
      previousIndex = entry.index;
      previousTerm = entry.term;
      if (prevTerm === undefined) continue; // A gap: MemoryLogStore.append rejects it on write.
      if (entry.term < prevTerm) {
        throw new SafetyViolation('log-matching', `Node ${node} put term ${entry.term} at index ${entry.index} after term ${prevTerm}`);
      }
      this.match(node, `${entry.index}:${entry.term}`, `${prevTerm}|${entryKey(entry)}`);
    }
  }

  private match(node: NodeId, at: string, value: string): void {
    const known = this.seen.get(at);
    if (known === undefined) this.seen.set(at, value);
    else if (known !== value) {
      throw new SafetyViolation('log-matching', `Node ${node} holds entry (index:term ${at}) as ${shortKey(value)}, another log holds ${shortKey(known)}`);
    }
  }
}
