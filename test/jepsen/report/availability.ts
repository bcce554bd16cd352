// Availability of a fault run: which faults were active when each operation was invoked, and the
// share of operations that completed `ok` with no fault active, with any fault active, and with
// each kind of fault active. Windows come from the nemesis runner's log: a start that applied (no
// note) opens a window, its stop (same id) or the final heal closes it.
import type { NemesisLogEntry } from '../nemesis/runner.js';
import type { OpRecord } from '../workloads/context.js';

export interface FaultWindow {
  readonly kind: string;
  readonly id: number;
  readonly node?: number;
  readonly startNs: number;
  readonly stopNs: number;
}

export interface Share {
  readonly ops: number;
  readonly ok: number;
  /** ok / ops, or null without ops. */
  readonly availability: number | null;
}

export interface Availability {
  readonly quiet: Share;
  readonly faulted: Share;
  readonly byNemesis: Readonly<Record<string, Share>>;
}

export function faultWindows(log: readonly NemesisLogEntry[], endNs: number): FaultWindow[] {
  const open = new Map<number, { kind: string; node?: number; startNs: number }>();
  const windows: FaultWindow[] = [];
  const close = (id: number, stopNs: number): void => {
    const start = open.get(id);
    if (start === undefined) return;
    open.delete(id);
    windows.push({ ...start, id, stopNs });
  };
  for (const entry of log) {
    const timeNs = Number(entry.timeNs);
    if (entry.action === 'start' && entry.note === undefined) {
      open.set(entry.id, { kind: entry.kind, ...(entry.node === undefined ? {} : { node: entry.node }), startNs: timeNs });
    } else if (entry.action === 'stop' && entry.kind === 'heal') {
      for (const id of [...open.keys()]) close(id, timeNs);
    } else if (entry.action === 'stop') {
      close(entry.id, timeNs);
    }
  }
  for (const id of [...open.keys()]) close(id, endNs);
  return windows.sort((a, b) => a.startNs - b.startNs);
}

function share(ops: readonly OpRecord[]): Share {
  const ok = ops.filter((op) => op.outcome === 'ok').length;
  return { ops: ops.length, ok, availability: ops.length === 0 ? null : Math.round((ok / ops.length) * 1000) / 1000 };
}

/** Kinds of the windows open at `timeNs`. */
export function activeKinds(windows: readonly FaultWindow[], timeNs: number): Set<string> {
  const kinds = new Set<string>();
  for (const window of windows) if (window.startNs <= timeNs && timeNs < window.stopNs) kinds.add(window.kind);
  return kinds;
}

export function availability(ops: readonly OpRecord[], windows: readonly FaultWindow[]): Availability {
  const quiet: OpRecord[] = [];
  const faulted: OpRecord[] = [];
  const byKind = new Map<string, OpRecord[]>();
  for (const op of ops) {
    const kinds = activeKinds(windows, op.invokeNs);
    (kinds.size === 0 ? quiet : faulted).push(op);
    for (const kind of kinds) {
      const list = byKind.get(kind);
      if (list === undefined) byKind.set(kind, [op]);
      else list.push(op);
    }
  }
  const byNemesis: Record<string, Share> = {};
  for (const [kind, kindOps] of [...byKind].sort(([a], [b]) => a.localeCompare(b))) byNemesis[kind] = share(kindOps);
  return { quiet: share(quiet), faulted: share(faulted), byNemesis };
}
