/**
 * Goal: Election Safety (thesis Figure 3.2): at most one leader per term, ever. Method: remember
 * the leader of every term seen in any node's status after any event; a second one is a violation.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { Role } from '../../../src/raft/types.js';
import { SafetyViolation } from './violation.js';

export class ElectionSafety {
  private readonly leaders = new Map<number, NodeId>();

  get termsLed(): number {
    return this.leaders.size;
  }

  /** Returns true the first time `node` is seen leading `term`. */
  observe(node: NodeId, role: Role, term: number): boolean {
    if (role !== 'leader') return false;
    const known = this.leaders.get(term);
    if (known === undefined) {
      this.leaders.set(term, node);
      return true;
    }
    if (known !== node) throw new SafetyViolation('election-safety', `Nodes ${known} and ${node} both led term ${term}`);
    return false;
  }
}
