/**
 * Goal: what each node writes to disk obeys the rules that make votes and terms safe across
 * crashes (thesis §3.8): the durable term never decreases, a vote once cast in a term never changes,
 * and no write lowers the durable commit index (a crash may lose an unsynced commit-only write:
 * disk.ts, loseUnsynced). Method: compare each persisted HardState with the
 * node's previous one; the store keeps it across restarts, so this is checked before the write.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { HardState } from '../../../src/raft/types.js';
import { SafetyViolation } from './violation.js';

export function checkHardStateStep(node: NodeId, before: HardState, after: HardState): void {
  if (after.term < before.term) {
    throw new SafetyViolation('durable-state', `Node ${node} wrote term ${after.term} over term ${before.term}`);
  }
  if (after.term === before.term && before.vote !== null && after.vote !== before.vote) {
    throw new SafetyViolation('durable-state', `Node ${node} changed its vote in term ${after.term} from ${before.vote} to ${after.vote ?? 'nobody'}`);
  }
  if (after.commit < before.commit) {
    throw new SafetyViolation('durable-state', `Node ${node} wrote commit ${after.commit} over commit ${before.commit}`);
  }
}
