// Goal: availability is attributed to the faults active when each operation was invoked. Method:
// a hand-written nemesis log (one applied fault, one skipped, the final heal) and a few ops.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import type { NemesisLogEntry } from '../nemesis/runner.js';
import type { OpRecord } from '../workloads/context.js';
import { availability, faultWindows } from './availability.js';

const entry = (timeNs: number, id: number, action: 'start' | 'stop', kind: NemesisLogEntry['kind'], note?: string): NemesisLogEntry =>
  ({ timeNs: BigInt(timeNs), at: 0, id, action, kind, ...(note === undefined ? {} : { note }) });

const op = (invokeNs: number, outcome: OpRecord['outcome']): OpRecord =>
  ({ workload: 'register', f: 'read', invokeNs, completeNs: invokeNs + 1, outcome, node: nodeId(1) });

describe('faultWindows()', () => {
  it('opens a window per applied start, ignores skipped ones, and closes the rest at the heal', () => {
    const log = [entry(10, 1, 'start', 'kill'), entry(15, 2, 'start', 'pause', 'skipped: no leader'),
      entry(20, 3, 'start', 'one-way'), entry(30, 1, 'stop', 'kill'), entry(50, 0, 'stop', 'heal')];
    expect(faultWindows(log, 99).map((w) => [w.kind, w.startNs, w.stopNs])).toEqual([['kill', 10, 30], ['one-way', 20, 50]]);
  });
});

describe('availability()', () => {
  it('splits ops into quiet and faulted by invoke time, and counts each active kind', () => {
    const windows = faultWindows([entry(10, 1, 'start', 'kill'), entry(20, 1, 'stop', 'kill')], 100);
    const result = availability([op(5, 'ok'), op(12, 'ok'), op(15, 'fail'), op(25, 'info')], windows);
    expect(result.quiet).toEqual({ ops: 2, ok: 1, availability: 0.5 });
    expect(result.faulted).toEqual({ ops: 2, ok: 1, availability: 0.5 });
    expect(result.byNemesis['kill']).toEqual({ ops: 2, ok: 1, availability: 0.5 });
  });
});
