// Goal: the checker is sound on what a correct register produces and sensitive to a corrupted read.
// Method: fast-check draws random plans, `simulate` turns them into histories of a correct atomic
// register (overlapping intervals, effects at random instants, info operations that took effect
// late or never, fail operations that never did), and each history goes through the real parser
// and checker. The mutation property then corrupts one ok read to a value nobody wrote, which no
// linearization can explain. The differential property corrupts small histories at random (read
// results, cas_ok flags) and demands the same verdict as a brute-force twin. fast-check prints the seed and the shrunk plan on failure; rerun with
// `FC_SEED=<seed>`. `FC_NUM_RUNS` raises the number of runs.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHistory } from './history.js';
import { checkHistory } from './linearizability.js';
import { isLinearizableNaive } from './naive-linearizability.js';
import { historyPlanArbitrary, opPlanArbitrary, simulate } from './simulated-history.js';
import { toJsonl, type EventRecord } from './testkit.js';

const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 300);
const seedText = process.env['FC_SEED'];
const parameters = { numRuns, ...(seedText === undefined ? {} : { seed: Number(seedText) }) };

interface Corruption {
  readonly kind: 'read' | 'cas';
  readonly target: number;
  readonly choice: number;
}

const corruptionArbitrary: fc.Arbitrary<Corruption> = fc.record({
  kind: fc.constantFrom('read', 'cas'),
  target: fc.nat(),
  choice: fc.nat(),
});

/** Replaces an ok read's result by null or some written value, or flips an ok cas's cas_ok. */
function corrupt(events: readonly EventRecord[], { kind, target, choice }: Corruption): void {
  if (kind === 'cas') {
    const casDone = events.filter((event) => typeof event['cas_ok'] === 'boolean');
    const victim = casDone[target % Math.max(1, casDone.length)];
    if (victim !== undefined) victim['cas_ok'] = victim['cas_ok'] !== true;
    return;
  }
  const written = [null, ...events.filter((e) => e['type'] === 'invoke' && e['f'] !== 'read').map((e) => e['value'])];
  const okReads = events.filter((event) => event['type'] === 'ok' && 'value' in event);
  const victim = okReads[target % Math.max(1, okReads.length)];
  if (victim !== undefined) victim['value'] = written[choice % written.length] ?? null;
}

const smallPlansArbitrary = fc.array(opPlanArbitrary.map((plan) => ({ ...plan, key: 0 })), { minLength: 1, maxLength: 8 });

describe('checkHistory() properties', () => {
  it('checkHistory() accepts every history of a simulated correct atomic register', () => {
    fc.assert(
      fc.property(historyPlanArbitrary, (plans) => {
        const jsonl = toJsonl(simulate(plans));
        const result = checkHistory(parseHistory(jsonl));
        expect(result.valid, `history:\n${jsonl}`).toBe(true);
      }),
      parameters,
    );
  });

  it('checkHistory() rejects such a history once one ok read returns a never-written value', () => {
    fc.assert(
      fc.property(historyPlanArbitrary, fc.nat(), (plans, pick) => {
        const events = simulate(plans);
        const okReads = events.filter((event) => event['type'] === 'ok' && 'value' in event);
        fc.pre(okReads.length > 0);
        const victim = okReads[pick % okReads.length];
        if (victim !== undefined) victim['value'] = 'never-written';
        const jsonl = toJsonl(events);
        const result = checkHistory(parseHistory(jsonl));
        expect(result.valid, `history:\n${jsonl}`).toBe(false);
      }),
      parameters,
    );
  });

  it('checkHistory() agrees with a brute-force checker on small, randomly corrupted histories', () => {
    fc.assert(
      fc.property(smallPlansArbitrary, fc.array(corruptionArbitrary, { maxLength: 2 }), (plans, corruptions) => {
        const events = simulate(plans);
        for (const corruption of corruptions) corrupt(events, corruption);
        const jsonl = toJsonl(events);
        const ops = parseHistory(jsonl);
        expect(checkHistory(ops).valid, `history:\n${jsonl}`).toBe(isLinearizableNaive(ops));
      }),
      { ...parameters, numRuns: numRuns * 3 },
    );
  });
});
