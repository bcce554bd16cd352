// Goal: a schedule is a pure, well-formed plan. Method: the properties every consumer relies on,
// checked over many seeds: same seed same plan; every start has exactly one later stop; faults of
// one lane never overlap; everything is stopped by the heal, which is last and leaves a quiet tail.
import { describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import {
  applicableNemeses, areCombinable, expandSelection, generateSchedule, laneOfFault, NEMESIS_NAMES, unshardedShape,
  type NemesisEvent, type NemesisName, type NemesisSchedule, type ScheduleOptions,
} from './schedule.js';

const nodes = [1, 2, 3, 4, 5].map(nodeId);
const base: ScheduleOptions = { seed: 1, nemeses: ['all'], runMs: 60_000, nodes };
const seeds = Array.from({ length: 50 }, (_, i) => i * 7919 + 1);

const starts = (s: NemesisSchedule): NemesisEvent[] => s.events.filter((e) => e.action === 'start');

/** [start, stop, kind] of each fault, from its pair of events. */
function windows(s: NemesisSchedule): { start: number; stop: number; kind: NemesisName }[] {
  return starts(s).map((start) => {
    const stop = s.events.find((e) => e.action === 'stop' && e.id === start.id);
    if (stop === undefined || start.fault.kind === 'heal') throw new Error(`Fault ${start.id} never stops`);
    return { start: start.at, stop: stop.at, kind: start.fault.kind };
  });
}

describe('generateSchedule()', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateSchedule(base)).toEqual(generateSchedule(base));
    expect(generateSchedule({ ...base, seed: 2 })).not.toEqual(generateSchedule(base));
  });

  it.each(seeds)('seed %i: every start has exactly one later stop, before the heal', (seed) => {
    const s = generateSchedule({ ...base, seed });
    for (const start of starts(s)) {
      const stops = s.events.filter((e) => e.action === 'stop' && e.id === start.id);
      expect(stops).toHaveLength(1);
      expect(stops[0]?.at).toBeGreaterThan(start.at);
      expect(stops[0]?.at).toBeLessThanOrEqual(s.healAt);
    }
  });

  it.each(seeds)('seed %i: faults that are not combinable never overlap', (seed) => {
    const all = windows(generateSchedule({ ...base, seed }));
    for (const a of all) {
      for (const b of all) {
        if (a === b || areCombinable(a.kind, b.kind)) continue;
        expect(a.stop <= b.start || b.stop <= a.start).toBe(true);
      }
    }
  });

  it.each(seeds)('seed %i: ends with one heal, then a quiet period', (seed) => {
    const s = generateSchedule({ ...base, seed, endQuietMs: 8_000 });
    const last = s.events.at(-1);
    expect(last).toEqual({ at: 52_000, action: 'stop', id: 0, fault: { kind: 'heal' } });
    expect(s.events.filter((e) => e.fault.kind === 'heal')).toHaveLength(1);
    expect(s.events.every((e, i) => i === 0 || (s.events[i - 1]?.at ?? 0) <= e.at)).toBe(true);
  });

  it('keeps faults within the configured durations and starts after the start quiet', () => {
    const s = generateSchedule({ ...base, faultMsMin: 1_000, faultMsMax: 1_500, startQuietMs: 3_000 });
    for (const w of windows(s)) {
      expect(w.stop - w.start).toBeGreaterThanOrEqual(1_000);
      expect(w.stop - w.start).toBeLessThanOrEqual(1_500);
      expect(w.start).toBeGreaterThanOrEqual(3_000);
    }
  });

  it('uses only the selected nemeses, and all of them over a long run', () => {
    const only = generateSchedule({ ...base, nemeses: ['kill', 'one-way'] });
    expect(new Set(windows(only).map((w) => w.kind))).toEqual(new Set(['kill', 'one-way']));
    const every = generateSchedule({ ...base, runMs: 600_000 });
    expect(new Set(windows(every).map((w) => w.kind))).toEqual(new Set(applicableNemeses(unshardedShape)));
  });

  it('on a sharded cluster, `all` means move and split instead of membership', () => {
    const every = generateSchedule({ ...base, runMs: 600_000, shape: { sharded: true, canMove: true } });
    const kinds = new Set(windows(every).map((w) => w.kind));
    expect(kinds).toEqual(new Set(NEMESIS_NAMES.filter((name) => name !== 'membership' && name !== 'byte-flip')));
    const fixed = generateSchedule({ ...base, runMs: 600_000, shape: { sharded: true, canMove: false } });
    expect(new Set(windows(fixed).map((w) => w.kind)).has('move')).toBe(false);
  });

  it('adding the shard lane does not change the draws of the other lanes', () => {
    const strip = (s: NemesisSchedule) => windows(s).filter((w) => w.kind !== 'move' && w.kind !== 'split');
    const alone = generateSchedule({ ...base, nemeses: ['kill', 'partition-halves'] });
    const mixed = generateSchedule({ ...base, nemeses: ['kill', 'partition-halves', 'move', 'split'] });
    expect(strip(mixed)).toEqual(strip(alone));
  });

  it('leaves leader-aware faults as the role, to be resolved when they start', () => {
    const s = generateSchedule({ ...base, nemeses: ['kill', 'pause', 'isolate-leader'], runMs: 300_000 });
    const targets = starts(s).flatMap((e) => ('target' in e.fault ? [e.fault.target] : []));
    expect(targets).toContain('leader');
    expect(starts(s).some((e) => e.fault.kind === 'isolate-leader')).toBe(true);
  });

  it('adding a nemesis of another lane does not change the draws of a lane', () => {
    const network = (s: NemesisSchedule): NemesisEvent[] => s.events.filter((e) => e.fault.kind === 'partition-halves');
    const alone = generateSchedule({ ...base, nemeses: ['partition-halves'] });
    const mixed = generateSchedule({ ...base, nemeses: ['partition-halves', 'pause'] });
    expect(network(mixed).map(({ at, fault }) => ({ at, fault }))).toEqual(network(alone).map(({ at, fault }) => ({ at, fault })));
  });

  it('yields only the final heal when the run is too short for a fault', () => {
    expect(generateSchedule({ ...base, runMs: 5_000 }).events).toEqual([{ at: 0, action: 'stop', id: 0, fault: { kind: 'heal' } }]);
  });

  it('rejects unknown nemeses and clusters too small to fault', () => {
    expect(() => generateSchedule({ ...base, nemeses: ['fire' as NemesisName] })).toThrow(/Unknown nemesis "fire"/);
    expect(() => generateSchedule({ ...base, nodes: nodes.slice(0, 2) })).toThrow(/at least 3 nodes/);
  });
});

describe('nemesis selection', () => {
  it("expandSelection() turns 'all' into every nemesis the cluster supports", () => {
    expect(expandSelection(['all'])).toEqual(NEMESIS_NAMES.filter((name) => name !== 'move' && name !== 'split' && name !== 'byte-flip'));
    expect(expandSelection(['byte-flip'])).toEqual(['byte-flip']);
    expect(expandSelection(['all'], { sharded: true, canMove: false })).not.toContain('membership');
    expect(expandSelection(['pause', 'bridge'])).toEqual(['bridge', 'pause']);
  });

  it('areCombinable() allows a network fault with a process fault, not two network faults', () => {
    expect(laneOfFault('bridge')).toBe('network');
    expect(areCombinable('bridge', 'pause')).toBe(true);
    expect(areCombinable('bridge', 'one-way')).toBe(false);
    expect(areCombinable('kill', 'pause')).toBe(false);
  });
});
