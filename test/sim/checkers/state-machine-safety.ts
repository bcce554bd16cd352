/**
 * Goal: State Machine Safety (thesis §3.6.3): no two nodes apply different entries at one index,
 * and equal applied indexes mean equal states. Method: the first application of each index fixes
 * its entry and the state digest after it; every later application or snapshot install at that
 * index must match. Applied entries are also committed facts for the committed-entries checker.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { entryKey } from '../kv-state-machine.js';
import { shortKey, type CommittedLog } from './committed-log.js';
import { SafetyViolation } from './violation.js';

/** What the checker reads of a state machine (any ReplicatedMachine). */
export interface MachineState {
  readonly applied: number;
  readonly digest: string;
}

interface Fixed {
  readonly value: string;
  readonly node: NodeId;
}

export class StateMachineSafety {
  private readonly entries = new Map<number, Fixed>();
  private readonly digests = new Map<number, Fixed>();
  appliedCount = 0;

  constructor(private readonly committed: CommittedLog) {}

  applied(node: NodeId, entry: LogEntry, machine: MachineState): void {
    this.appliedCount++;
    const key = entryKey(entry);
    const first = this.fix(this.entries, entry.index, key, node);
    if (first.value !== key) {
      throw new SafetyViolation('state-machine-safety', `Node ${node} applied ${shortKey(key)} at index ${entry.index}, node ${first.node} applied ${shortKey(first.value)}`);
    }
    this.checkDigest(node, machine, 'after applying');
    this.committed.record(entry.index, entry, `node ${node}'s state machine`);
  }

  snapshotInstalled(node: NodeId, machine: MachineState): void {
    this.checkDigest(node, machine, 'after installing a snapshot');
  }

  private checkDigest(node: NodeId, machine: MachineState, how: string): void {
    const first = this.fix(this.digests, machine.applied, machine.digest, node);
    if (first.value !== machine.digest) {
      throw new SafetyViolation('state-machine-safety', `Node ${node} ${how} has state ${machine.digest} at index ${machine.applied}, node ${first.node} had ${first.value}`);
    }
  }

  private fix(map: Map<number, Fixed>, index: number, value: string, node: NodeId): Fixed {
    const known = map.get(index);
    if (known !== undefined) return known;
    const fixed = { value, node };
    map.set(index, fixed);
    return fixed;
  }
}
