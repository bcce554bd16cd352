/**
 * Goal: the replicated state machine of one group of a multi-group cluster, as the server's design
 * has it: a KV map plus the group's DESCRIPTOR, the ring range [start, end) it owns. Commands for a
 * key outside the descriptor are refused with WRONG_SHARD at apply time (writes) and read time
 * (reads). Method: commands are JSON (put, cas, split); the digest chains every applied entry as
 * KvStateMachine's does, so checkers compare states in O(1). A split whose mid lies strictly inside
 * the descriptor narrows it to [start, mid), hands the keys of [mid, end) and the membership to the
 * split hook (which founds the child replica on this node in the same step) and drops them here.
 */
import { assert } from '../../../src/shared/assert.js';
import { applyConfChange, decodeConfChange } from '../../../src/raft/conf-change.js';
import { logIndex, nodeId, term, type LogIndex } from '../../../src/shared/ids.js';
import type { ConfState, LogEntry, SnapshotMeta } from '../../../src/raft/types.js';
import { chainDigest } from '../kv-state-machine.js';
import type { ReplicatedMachine } from '../disk.js';
import { ringOf } from './ring.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Descriptor {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

export type GroupCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | { readonly op: 'split'; readonly child: number; readonly mid: number };

export type ApplyResult =
  | { readonly code: 'OK' }
  | { readonly code: 'CAS_MISMATCH'; readonly current: string | null }
  | { readonly code: 'WRONG_SHARD' }
  | { readonly code: 'SPLIT_NOOP' };

export type ReadResult = { readonly code: 'OK'; readonly value: string | null } | { readonly code: 'WRONG_SHARD' };

export function encodeCommand(command: GroupCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): GroupCommand {
  const value: unknown = JSON.parse(decoder.decode(data));
  assert(typeof value === 'object' && value !== null && 'op' in value, 'Malformed group command');
  return value as GroupCommand;
}

export function contains(descriptor: Descriptor, position: number): boolean {
  return position >= descriptor.start && position < descriptor.end;
}

/** Everything a node needs to found the child replica of a split (in the apply step of the parent). */
export interface SplitFounding {
  readonly parent: number;
  readonly child: number;
  /** Parent's index of the split entry. */
  readonly index: LogIndex;
  readonly conf: ConfState;
  readonly descriptor: Descriptor;
  readonly kv: readonly [string, string][];
  /** Digest of the child's state at index 1: fixed by the parent's digest after the split. */
  readonly digest: string;
}

/** Deliberate bugs for the mutation proofs (never a flag in src/). */
export interface MachineFaults {
  /** The split founds the child but the parent keeps its whole range (and the moved keys). */
  readonly parentKeepsRange: boolean;
}

const NO_FAULTS: MachineFaults = { parentKeepsRange: false };

interface SnapshotBody {
  readonly group: number;
  readonly applied: number;
  readonly digest: string;
  readonly conf: ConfState;
  readonly descriptor: Descriptor;
  readonly removed: number[];
  readonly kv: [string, string][];
}

export class GroupMachine implements ReplicatedMachine {
  private kv = new Map<string, string>();
  private appliedIndex: LogIndex;
  private confState: ConfState;
  private digestValue: string;
  private range: Descriptor;
  /** Nodes removed from this group in its applied history (a proof for garbage collection). */
  private removedNodes = new Set<number>();
  /** Result of the last applied normal entry, for the client that proposed it. */
  lastResult: ApplyResult | undefined;

  constructor(
    readonly group: number,
    initial: SnapshotMeta,
    descriptor: Descriptor,
    private readonly onSplit: (founding: SplitFounding) => void,
    private readonly faults: MachineFaults = NO_FAULTS,
  ) {
    this.appliedIndex = initial.index;
    this.confState = initial.conf;
    this.range = descriptor;
    this.digestValue = `genesis-g${group}`;
  }

  get applied(): LogIndex {
    return this.appliedIndex;
  }
  get conf(): ConfState {
    return this.confState;
  }
  get digest(): string {
    return this.digestValue;
  }
  get descriptor(): Descriptor {
    return this.range;
  }
  get removed(): ReadonlySet<number> {
    return this.removedNodes;
  }
  keys(): string[] {
    return [...this.kv.keys()];
  }

  /** A child's state at index 1, founded by a split (all founders compute the same one). */
  found(founding: SplitFounding): void {
    this.kv = new Map(founding.kv);
    this.appliedIndex = logIndex(1);
    this.confState = founding.conf;
    this.range = founding.descriptor;
    this.removedNodes = new Set();
    this.digestValue = founding.digest;
  }

  read(key: string): ReadResult {
    if (!contains(this.range, ringOf(key))) return { code: 'WRONG_SHARD' };
    return { code: 'OK', value: this.kv.get(key) ?? null };
  }

  apply(entry: LogEntry): void {
    assert(entry.index === this.appliedIndex + 1, `Apply ${entry.index} after ${this.appliedIndex}`);
    this.lastResult = undefined;
    if (entry.type === 'confChange') {
      const change = decodeConfChange(entry.data);
      this.confState = applyConfChange(this.confState, change);
      if (change.type === 'removeNode') this.removedNodes.add(change.node);
    } else if (entry.data.byteLength > 0) {
      this.lastResult = this.applyCommand(decodeCommand(entry.data), entry);
    }
    this.appliedIndex = entry.index;
    this.digestValue = chainDigest(this.digestValue, entry);
  }

  private applyCommand(command: GroupCommand, entry: LogEntry): ApplyResult {
    if (command.op === 'split') return this.split(command.child, command.mid, entry);
    if (!contains(this.range, ringOf(command.key))) return { code: 'WRONG_SHARD' };
    const current = this.kv.get(command.key) ?? null;
    if (command.op === 'cas' && current !== command.expected) return { code: 'CAS_MISMATCH', current };
    this.kv.set(command.key, command.value);
    return { code: 'OK' };
  }

  private split(child: number, mid: number, entry: LogEntry): ApplyResult {
    const { start, end } = this.range;
    if (!(mid > start && mid < end)) return { code: 'SPLIT_NOOP' };
    const moved = [...this.kv].filter(([key]) => ringOf(key) >= mid).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const after = chainDigest(this.digestValue, entry);
    const digest = chainDigest(after, { index: logIndex(1), term: term(1), type: 'normal', data: encoder.encode(`founded g${child} by g${this.group}`) });
    this.onSplit({ parent: this.group, child, index: entry.index, conf: this.confState, descriptor: { start: mid, end }, kv: moved, digest });
    if (this.faults.parentKeepsRange) return { code: 'OK' };
    this.range = { start, end: mid };
    for (const [key] of moved) this.kv.delete(key);
    return { code: 'OK' };
  }

  serialize(): Uint8Array {
    const body: SnapshotBody = {
      group: this.group, applied: this.appliedIndex, digest: this.digestValue, conf: this.confState,
      descriptor: this.range, removed: [...this.removedNodes], kv: [...this.kv],
    };
    return encoder.encode(JSON.stringify(body));
  }

  restore(meta: SnapshotMeta, data: Uint8Array): void {
    const value: unknown = JSON.parse(decoder.decode(data));
    assert(typeof value === 'object' && value !== null, 'Group snapshot is not a JSON object');
    const body = value as SnapshotBody;
    assert(body.applied === meta.index && body.group === this.group, `Snapshot of g${body.group} at ${body.applied} does not match g${this.group} at ${meta.index}`);
    this.kv = new Map(body.kv);
    this.appliedIndex = logIndex(body.applied);
    this.confState = { voters: body.conf.voters.map(nodeId), learners: body.conf.learners.map(nodeId) };
    this.range = body.descriptor;
    this.removedNodes = new Set(body.removed);
    this.digestValue = body.digest;
    this.lastResult = undefined;
  }
}
