// Goal: produce histories that a correct atomic register could have produced, to test that the
// checker never rejects one. Method: a fast-check arbitrary draws a plan per operation (which
// client slot, gap, duration, kind, fate, instant of effect); `simulate` lays the plans out on each
// slot's sequential timeline, applies the effects to one register per key in order of their
// instants, and records what each client would have observed. `ok` and `fail` operations take
// effect (or not, for fail) inside their interval; `info` operations take effect at some instant
// after their invoke, possibly after the client gave up, or never. A slot whose operation ended in
// `info` continues under a fresh process id, as the format requires.

import fc from 'fast-check';
import type { EventRecord } from './testkit.js';

export type Fate = 'ok' | 'fail' | 'info-effect' | 'info-none' | 'info-open';

export interface OpPlan {
  readonly slot: number;
  readonly key: number;
  readonly f: 'read' | 'write' | 'cas';
  readonly gap: number;
  readonly duration: number;
  /** Where in its window the effect happens, as a fraction in thousandths. */
  readonly effectPermille: number;
  /** For cas: 0-1 compare against the current value, 2 an older value or null, 3 a never-written one. */
  readonly casChoice: number;
  readonly fate: Fate;
}

export const slotsMax = 5;

export const opPlanArbitrary: fc.Arbitrary<OpPlan> = fc.record({
  slot: fc.integer({ min: 0, max: slotsMax - 1 }),
  key: fc.integer({ min: 0, max: 1 }),
  f: fc.constantFrom('read', 'write', 'cas'),
  gap: fc.integer({ min: 0, max: 15 }),
  duration: fc.integer({ min: 0, max: 40 }),
  effectPermille: fc.integer({ min: 0, max: 1000 }),
  casChoice: fc.integer({ min: 0, max: 3 }),
  fate: fc.oneof(
    { weight: 12, arbitrary: fc.constant<Fate>('ok') },
    { weight: 1, arbitrary: fc.constant<Fate>('fail') },
    { weight: 1, arbitrary: fc.constant<Fate>('info-effect') },
    { weight: 1, arbitrary: fc.constant<Fate>('info-none') },
    { weight: 1, arbitrary: fc.constant<Fate>('info-open') },
  ),
});

export const historyPlanArbitrary = fc.array(opPlanArbitrary, { minLength: 1, maxLength: 60, size: 'medium' });

interface Placed {
  readonly plan: OpPlan;
  readonly index: number;
  readonly process: number;
  readonly start: number;
  readonly end: number;
  /** Undefined when the operation never takes effect. */
  readonly effectAt: number | undefined;
  /** Filled in by `applyEffects`. */
  value: string | null;
  expected: string | null;
  casOk: boolean;
}

function place(plans: readonly OpPlan[]): Placed[] {
  const slotFree = Array.from({ length: slotsMax }, () => 0);
  const slotProcess = Array.from({ length: slotsMax }, (_, i) => i);
  let nextProcess = slotsMax;
  return plans.map((plan, index) => {
    const start = (slotFree[plan.slot] ?? 0) + plan.gap;
    const end = start + plan.duration;
    slotFree[plan.slot] = end;
    const process = slotProcess[plan.slot] ?? plan.slot;
    const isInfo = plan.fate.startsWith('info');
    if (isInfo) slotProcess[plan.slot] = nextProcess++;
    // An info op may take effect after the client stopped waiting: stretch its window threefold.
    const window = isInfo ? plan.duration * 3 + 10 : plan.duration;
    const effects = plan.fate === 'ok' || plan.fate === 'info-effect';
    const effectAt = effects ? start + Math.floor((window * plan.effectPermille) / 1000) : undefined;
    return { plan, index, process, start, end, effectAt, value: null, expected: null, casOk: true };
  });
}

/** Runs the effects in time order on one register per key and records what clients observed. */
function applyEffects(placed: Placed[]): void {
  const registers = new Map<number, string | null>();
  const written: Array<string | null> = [null];
  const effective = placed.filter((op) => op.effectAt !== undefined);
  effective.sort((a, b) => (a.effectAt ?? 0) - (b.effectAt ?? 0) || a.index - b.index);
  for (const op of placed) if (op.plan.f !== 'read') op.value = `v${op.index}`;
  // Operations that never take effect keep these; effective ones pick theirs when they run.
  for (const op of placed) op.expected = op.plan.casChoice === 3 ? `never-${op.index}` : null;
  for (const op of effective) {
    const current = registers.get(op.plan.key) ?? null;
    if (op.plan.f === 'read') op.value = current;
    if (op.plan.f === 'write') registers.set(op.plan.key, op.value);
    if (op.plan.f === 'cas') {
      if (op.plan.casChoice <= 1) op.expected = current;
      // An older value (of any key) or null: matches only sometimes.
      if (op.plan.casChoice === 2) op.expected = written[(op.index * 7) % written.length] ?? null;
      op.casOk = op.expected === current;
      if (op.casOk) registers.set(op.plan.key, op.value);
    }
    if (op.plan.f !== 'read') written.push(op.value);
  }
}

function eventsOf(op: Placed): EventRecord[] {
  const { plan } = op;
  const key = `key-${plan.key}`;
  const invoke: EventRecord = { process: op.process, type: 'invoke', f: plan.f, key, value: plan.f === 'read' ? null : op.value, time: op.start };
  if (plan.f === 'cas') invoke['expected'] = op.expected;
  if (plan.fate === 'info-open') return [invoke];
  const type = plan.fate === 'ok' || plan.fate === 'fail' ? plan.fate : 'info';
  const done: EventRecord = { process: op.process, type, time: op.end };
  if (type === 'ok' && plan.f === 'read') done['value'] = op.value;
  if (type === 'ok' && plan.f === 'cas') done['cas_ok'] = op.casOk;
  return [invoke, done];
}

/** Events of a history a correct register could produce for `plans`, in time order. */
export function simulate(plans: readonly OpPlan[]): EventRecord[] {
  const placed = place(plans);
  applyEffects(placed);
  // Stable sort: each slot's events are generated in order and its times never decrease.
  return placed.flatMap(eventsOf).sort((a, b) => Number(a['time']) - Number(b['time']));
}
