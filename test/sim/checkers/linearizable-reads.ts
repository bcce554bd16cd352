/**
 * Goal: linearizable reads (thesis §6.4): a read observes every write acknowledged before it was
 * issued. Method: at issue, remember the highest index of any acknowledged write; when the read is
 * served, the state it is served from (the node's applied index) must be at least that new. State
 * machine safety makes "applied index >= i" mean "contains the write at i".
 */
import type { NodeId } from '../../../src/shared/ids.js';
import { SafetyViolation } from './violation.js';

export class LinearizableReads {
  /** requestId -> highest acknowledged write index when the read was issued. */
  private readonly issued = new Map<string, number>();
  served = 0;

  issue(requestId: string, ackedIndexMax: number): void {
    this.issued.set(requestId, ackedIndexMax);
  }

  forget(requestId: string): void {
    this.issued.delete(requestId);
  }

  /** Returns false if the read is unknown (already answered or given up on). */
  serve(node: NodeId, requestId: string, appliedIndex: number): boolean {
    const needed = this.issued.get(requestId);
    if (needed === undefined) return false;
    this.issued.delete(requestId);
    this.served++;
    if (appliedIndex < needed) {
      throw new SafetyViolation('linearizable-reads', `Read ${requestId} was served by node ${node} at applied index ${appliedIndex}, but the write at index ${needed} was acknowledged before the read was issued`);
    }
    return true;
  }
}
