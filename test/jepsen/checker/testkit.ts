// Goal: let checker tests state histories as operations with intervals rather than raw events.
// Method: each OpSpec becomes an invoke and (unless `end` is omitted) a completion; events are
// stably sorted by time, so giving each process's operations in order keeps processes sequential.
// Histories go through the real parser, so every test also exercises the file format.

import { parseHistory, type OpFunction, type Operation, type Outcome } from './history.js';

export interface OpSpec {
  readonly p: number;
  readonly f: OpFunction;
  readonly key?: string;
  /** read: value returned (ok only); write/cas: value written. */
  readonly value?: string | null;
  readonly expected?: string | null;
  readonly casOk?: boolean;
  readonly start: number;
  /** Omit for an operation that never completes within the history. */
  readonly end?: number;
  readonly outcome?: Outcome;
}

export type EventRecord = Record<string, unknown>;

function invokeEvent(spec: OpSpec): EventRecord {
  const event: EventRecord = { process: spec.p, type: 'invoke', f: spec.f, key: spec.key ?? 'k', time: spec.start };
  if (spec.f === 'read') event['value'] = null;
  else event['value'] = spec.value ?? null;
  if (spec.f === 'cas') event['expected'] = spec.expected ?? null;
  return event;
}

function completionEvent(spec: OpSpec, end: number): EventRecord {
  const outcome = spec.outcome ?? 'ok';
  const event: EventRecord = { process: spec.p, type: outcome, f: spec.f, key: spec.key ?? 'k', time: end };
  if (spec.f === 'read' && outcome === 'ok') event['value'] = spec.value ?? null;
  if (spec.f === 'cas' && outcome === 'ok' && spec.casOk !== undefined) event['cas_ok'] = spec.casOk;
  return event;
}

export function toEvents(specs: readonly OpSpec[]): EventRecord[] {
  const events = specs.flatMap((spec) =>
    spec.end === undefined ? [invokeEvent(spec)] : [invokeEvent(spec), completionEvent(spec, spec.end)]);
  // Array.prototype.sort is stable, which keeps each process's own events in order.
  return events.sort((a, b) => Number(a['time']) - Number(b['time']));
}

export function toJsonl(events: readonly EventRecord[]): string {
  return events.map((event) => JSON.stringify(event)).join('\n') + '\n';
}

export function historyOf(specs: readonly OpSpec[]): Operation[] {
  return parseHistory(toJsonl(toEvents(specs)));
}

/** Shorthands for the common single-key cases. */
export const write = (p: number, value: string | null, start: number, end?: number, outcome?: Outcome): OpSpec => ({
  p, f: 'write', value, start, ...(end === undefined ? {} : { end }), ...(outcome === undefined ? {} : { outcome }),
});

export const read = (p: number, value: string | null, start: number, end: number, outcome?: Outcome): OpSpec => ({
  p, f: 'read', value, start, end, ...(outcome === undefined ? {} : { outcome }),
});

export const cas = (p: number, expected: string | null, value: string, start: number, end: number, casOk?: boolean): OpSpec => ({
  p, f: 'cas', expected, value, start, end, ...(casOk === undefined ? {} : { casOk }),
});
