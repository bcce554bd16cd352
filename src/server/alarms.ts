/**
 * A node's alarms (etcd's `alarm list|disarm`): conditions that make the node refuse some calls
 * until an operator looks. `NOSPACE` (the space quota is reached) refuses writes but keeps reads
 * and deletes working; `CORRUPT` (a replica's applied state differs from its peers' at the same
 * index) stops that replica serving reads and writes. An alarm with a `group` concerns that group's
 * replica on this node; one without concerns the whole node.
 */
import type { GroupId } from '../shared/ids.js';

export const ALARM_KINDS = ['NOSPACE', 'CORRUPT'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export interface Alarm {
  readonly kind: AlarmKind;
  /** The group whose replica on this node is concerned; undefined: the whole node. */
  readonly group?: GroupId | undefined;
  /** Why it was raised, for `kvctl alarm list` (no values, no credentials). */
  readonly reason: string;
  readonly raisedAtMs: number;
}

export type AlarmListener = (alarms: readonly Alarm[]) => void;

/** Bounded: at most one alarm per (kind, group), and groups per node are bounded. */
export class Alarms {
  private readonly byKey = new Map<string, Alarm>();
  private readonly listeners: AlarmListener[] = [];

  /** Raises `alarm`; false if the same (kind, group) is already raised (the first one is kept). */
  raise(alarm: Alarm): boolean {
    const key = keyOf(alarm.kind, alarm.group);
    if (this.byKey.has(key)) return false;
    this.byKey.set(key, alarm);
    this.notify();
    return true;
  }

  /** Disarms alarms of `kind` (all kinds if undefined), of one group or of every group; returns how many. */
  disarm(kind?: AlarmKind, group?: GroupId): number {
    let removed = 0;
    for (const [key, alarm] of this.byKey) {
      if (kind !== undefined && alarm.kind !== kind) continue;
      if (group !== undefined && alarm.group !== group) continue;
      this.byKey.delete(key);
      removed += 1;
    }
    if (removed > 0) this.notify();
    return removed;
  }

  list(): readonly Alarm[] {
    return [...this.byKey.values()];
  }

  /** The alarm of `kind` that applies to `group`'s replica here: its own, or a node-wide one. */
  active(kind: AlarmKind, group?: GroupId): Alarm | undefined {
    return (group === undefined ? undefined : this.byKey.get(keyOf(kind, group))) ?? this.byKey.get(keyOf(kind, undefined));
  }

  onChange(listener: AlarmListener): void {
    this.listeners.push(listener);
  }

  private notify(): void {
    const snapshot = this.list();
    for (const listener of this.listeners) listener(snapshot);
  }
}

const keyOf = (kind: AlarmKind, group: GroupId | undefined): string => `${kind}/${group ?? '*'}`;
