/**
 * Goal: no key is ever served by two groups whose descriptors overlap at the applied points they
 * serve from. Method: a model of ownership built from the log alone, independent of GroupMachine:
 * each group's descriptor as a function of its applied index, changed only by the first
 * application of a split entry (state machine safety makes it the only one), which carves the
 * child's birth range out of the parent. Then (a) every replica's own descriptor must equal the
 * model's at its applied index, after every apply and snapshot install, and (b) every read served
 * and every write applied for a key must come from a group the model says owns it there.
 */
import type { NodeId } from '../../../src/shared/ids.js';
import type { LogEntry } from '../../../src/raft/types.js';
import { SafetyViolation } from '../checkers/violation.js';
import { contains, decodeCommand, type Descriptor, type GroupMachine } from './group-machine.js';
import { ringOf } from './ring.js';

interface Epoch {
  readonly fromIndex: number;
  readonly range: Descriptor;
}

const show = (d: Descriptor): string => `[${d.start}, ${d.end})`;

export class OwnershipModel {
  /** group -> descriptor epochs, ascending by fromIndex. */
  private readonly epochs = new Map<number, Epoch[]>();
  /** group -> highest index the model has seen applied. */
  private readonly seen = new Map<number, number>();
  splitsApplied = 0;

  /** `enforcing` false: learn only (a run that proves the history check alone catches a bug). */
  constructor(initial: ReadonlyMap<number, Descriptor>, readonly enforcing = true) {
    for (const [group, range] of initial) {
      this.epochs.set(group, [{ fromIndex: 1, range }]);
      this.seen.set(group, 1);
    }
  }

  rangeAt(group: number, index: number): Descriptor | undefined {
    let found: Descriptor | undefined;
    for (const epoch of this.epochs.get(group) ?? []) if (epoch.fromIndex <= index) found = epoch.range;
    return found;
  }

  /** After a replica applied `entry`: learn a first application, then compare the replica with the model. */
  applied(node: NodeId, group: number, entry: LogEntry, machine: GroupMachine): void {
    if (entry.index > (this.seen.get(group) ?? 0)) {
      this.seen.set(group, entry.index);
      if (entry.type === 'normal' && entry.data.byteLength > 0) this.learn(group, entry);
    }
    this.compare(node, group, machine);
    const command = entry.type === 'normal' && entry.data.byteLength > 0 ? decodeCommand(entry.data) : undefined;
    const result = machine.lastResult;
    if (command !== undefined && command.op !== 'split' && (result?.code === 'OK' || result?.code === 'CAS_MISMATCH')) {
      this.served(node, group, entry.index, command.key, 'applied a write of');
    }
  }

  /** After a snapshot install or a split founding. */
  compare(node: NodeId, group: number, machine: GroupMachine): void {
    if (!this.enforcing) return;
    const model = this.rangeAt(group, machine.applied);
    const own = machine.descriptor;
    if (model === undefined) throw new SafetyViolation('ownership', `Node ${node}'s replica of g${group} at index ${machine.applied} exists before any split founded it`);
    if (model.start !== own.start || model.end !== own.end) {
      throw new SafetyViolation('ownership', `Node ${node}'s replica of g${group} at index ${machine.applied} claims ${show(own)}, but by its log the group owns ${show(model)} there (the rest belongs to the groups split off it)`);
    }
    for (const key of machine.keys()) {
      if (!contains(model, ringOf(key))) throw new SafetyViolation('ownership', `Node ${node}'s replica of g${group} at index ${machine.applied} still holds key "${key}" outside its range ${show(model)}`);
    }
  }

  served(node: NodeId, group: number, index: number, key: string, what: string): void {
    if (!this.enforcing) return;
    const model = this.rangeAt(group, index);
    if (model !== undefined && contains(model, ringOf(key))) return;
    const owner = this.ownerOf(key);
    throw new SafetyViolation('ownership', `Node ${node}'s replica of g${group} ${what} key "${key}" at index ${index}, where g${group} owns ${model === undefined ? 'nothing' : show(model)}; the key belongs to g${owner ?? '?'}`);
  }

  /** The group whose latest descriptor holds the key. */
  ownerOf(key: string): number | undefined {
    const position = ringOf(key);
    for (const [group, epochs] of this.epochs) {
      const last = epochs[epochs.length - 1];
      if (last !== undefined && contains(last.range, position)) return group;
    }
    return undefined;
  }

  /** Latest descriptors of every group the model knows: they must partition the ring. */
  latest(): Map<number, Descriptor> {
    const out = new Map<number, Descriptor>();
    for (const [group, epochs] of this.epochs) {
      const last = epochs[epochs.length - 1];
      if (last !== undefined && last.range.end > last.range.start) out.set(group, last.range);
    }
    return out;
  }

  private learn(group: number, entry: LogEntry): void {
    const command = decodeCommand(entry.data);
    if (command.op !== 'split') return;
    const range = this.rangeAt(group, entry.index - 1);
    if (range === undefined || !(command.mid > range.start && command.mid < range.end)) return;
    if (this.epochs.has(command.child)) throw new SafetyViolation('ownership', `g${group} split off g${command.child} at ${entry.index}, but g${command.child} already exists`);
    this.epochs.get(group)?.push({ fromIndex: entry.index, range: { start: range.start, end: command.mid } });
    this.epochs.set(command.child, [{ fromIndex: 1, range: { start: command.mid, end: range.end } }]);
    this.seen.set(command.child, 1);
    this.splitsApplied++;
  }
}
