/**
 * Goal: what must hold once the healed cluster has converged. Method:
 *  - the current groups' descriptors (each group's leader's) partition the ring, and agree with the
 *    ownership model built from the logs;
 *  - no replica holds a key outside its descriptor;
 *  - every key with an acknowledged write is readable from exactly the group that owns it: every
 *    other group refuses it, and the owner's leader holds a value; that value is recorded as a
 *    final read, after every client operation;
 *  - the whole client history, final reads included, is linearizable per key (CAS register),
 *    decided by test/jepsen/checker/linearizability.ts.
 */
import { checkHistory } from '../../jepsen/checker/linearizability.js';
import { describeOp } from '../../jepsen/checker/register-model.js';
import { SafetyViolation } from '../checkers/violation.js';
import type { ClientDriver } from './clients.js';
import { contains, type Descriptor } from './group-machine.js';
import type { MultiView } from './multi-node.js';
import type { OwnershipModel } from './ownership.js';
import { RING_SIZE, ringOf } from './ring.js';

/** Search budget per key; a key past it counts as 'unknown', not as a violation. */
const LINEARIZABILITY_STEPS_MAX_PER_KEY = 300_000;

export interface FinalStats {
  keysChecked: number;
  linearizabilityUnknown: number;
}

export function finalChecks(view: MultiView, ownership: OwnershipModel, clients: ClientDriver): FinalStats {
  if (ownership.enforcing) {
    const ranges = currentRanges(view, ownership);
    checkHygiene(view);
    for (const key of clients.keys) finalRead(view, ranges, clients, key);
  }
  const result = checkHistory(clients.history, { stepsMaxPerKey: LINEARIZABILITY_STEPS_MAX_PER_KEY });
  const failure = result.failures[0];
  if (failure !== undefined) {
    const unplaced = failure.unplaced.slice(0, 3).map((u) => `${describeOp(u.op)}: ${u.reason}`).join('; ');
    throw new SafetyViolation('linearizability', `Key "${failure.key}" is not linearizable: after ${failure.linearized.length} operations (value ${failure.stateAfter ?? 'absent'}) nothing fits before ${describeOp(failure.deadline)} returned; ${unplaced}`);
  }
  return { keysChecked: result.keys.length, linearizabilityUnknown: result.keys.filter((k) => k.valid === 'unknown').length };
}

function currentRanges(view: MultiView, ownership: OwnershipModel): Map<number, Descriptor> {
  const ranges = new Map<number, Descriptor>();
  for (const group of view.groups()) {
    const descriptor = view.groupLeader(group)?.replica.disk.machine.descriptor;
    if (descriptor !== undefined && descriptor.end > descriptor.start) ranges.set(group, descriptor);
  }
  const sorted = [...ranges].sort(([, a], [, b]) => a.start - b.start);
  let expected = 0;
  for (const [group, range] of sorted) {
    if (range.start !== expected) throw new SafetyViolation('ownership', `After healing, g${group}'s range starts at ${range.start}, expected ${expected}: the groups' descriptors ${range.start < expected ? 'overlap' : 'leave a gap'}`);
    expected = range.end;
  }
  if (expected !== RING_SIZE) throw new SafetyViolation('ownership', `After healing, the groups' descriptors end at ${expected}, not at the ring's end`);
  for (const [group, range] of ownership.latest()) {
    const own = ranges.get(group);
    if (own === undefined || own.start !== range.start || own.end !== range.end) {
      throw new SafetyViolation('ownership', `After healing, g${group} serves ${own === undefined ? 'nothing' : `[${own.start}, ${own.end})`}, but its log gives it [${range.start}, ${range.end})`);
    }
  }
  return ranges;
}

function checkHygiene(view: MultiView): void {
  for (const node of view.nodes()) {
    for (const [group, replica] of node.replicas) {
      const machine = replica.disk.machine;
      for (const key of machine.keys()) {
        if (!contains(machine.descriptor, ringOf(key))) throw new SafetyViolation('ownership', `After healing, n${node.id}'s replica of g${group} still holds key "${key}" outside its range`);
      }
    }
  }
}

function finalRead(view: MultiView, ranges: ReadonlyMap<number, Descriptor>, clients: ClientDriver, key: string): void {
  const position = ringOf(key);
  const owners = [...ranges].filter(([, range]) => contains(range, position)).map(([group]) => group);
  if (owners.length !== 1) throw new SafetyViolation('ownership', `After healing, key "${key}" is owned by ${owners.length} groups (${owners.join(', ')})`);
  const [owner] = owners;
  for (const group of view.groups()) {
    const machine = view.groupLeader(group)?.replica.disk.machine;
    if (machine === undefined) continue;
    const read = machine.read(key);
    if (group !== owner && read.code !== 'WRONG_SHARD') throw new SafetyViolation('ownership', `After healing, g${group} answers key "${key}", which g${owner ?? '?'} owns`);
    if (group === owner && read.code === 'OK') {
      const acked = clients.history.some((op) => op.key === key && op.f !== 'read' && op.outcome === 'ok');
      if (acked && read.value === null) throw new SafetyViolation('linearizability', `After healing, key "${key}" had acknowledged writes but its owner g${group} holds no value`);
      clients.recordFinalRead(key, read.value);
    }
  }
}
