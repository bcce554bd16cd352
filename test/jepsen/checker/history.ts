// Goal: turn a `history.jsonl` file (format in /work/shared/HISTORY.md) into paired operations
// that the linearizability checker can search. Method: parse each line on its own, validate it
// strictly against the format (unknown fields, wrong types and missing required fields fail loudly
// with the line number), then walk the events in file order, pairing each process's invoke with
// its single completion and enforcing that every process is sequential.
//
// Times: the format says `time` is an integer number of nanoseconds. JSON.parse turns integers past
// 2^53 into the nearest double. That rounding is monotone, so it can only turn "a before b" into
// "a at the same instant as b"; the checker treats equal times as concurrent, so precision loss can
// make the check more lenient but never reports a false violation.

export type OpFunction = 'read' | 'write' | 'cas';
export type EventType = 'invoke' | 'ok' | 'fail' | 'info';
export type Outcome = 'ok' | 'fail' | 'info';

/** One validated line of the history. Optional fields are absent when the line omits them. */
export interface HistoryEvent {
  readonly line: number;
  readonly process: number;
  readonly type: EventType;
  readonly time: number;
  readonly f?: OpFunction;
  readonly key?: string;
  readonly value?: string | null;
  readonly expected?: string | null;
  readonly casOk?: boolean;
}

/** An invoke paired with its completion. */
export interface Operation {
  /** Position among all operations, in invoke order of the file; stable id for reports. */
  readonly index: number;
  /** 1-based line of the invoke event. */
  readonly invokeLine: number;
  readonly process: number;
  readonly f: OpFunction;
  readonly key: string;
  /** read: the value read (null for an unfinished read); write/cas: the value written. */
  readonly value: string | null;
  /** Only on cas operations. */
  readonly expected?: string | null;
  /** Only on cas operations that completed `ok`. */
  readonly casOk?: boolean;
  readonly invokeTime: number;
  /** Infinity when the outcome is `info` or the history ends before a completion. */
  readonly completeTime: number;
  readonly outcome: Outcome;
}

/** Thrown for any history that does not follow the format; `line` is 1-based. */
export class HistoryError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`History line ${line}: ${message}`);
    this.name = 'HistoryError';
    this.line = line;
  }
}

const knownFields = new Set(['process', 'type', 'f', 'key', 'value', 'expected', 'cas_ok', 'time', 'error']);
const eventTypes: readonly EventType[] = ['invoke', 'ok', 'fail', 'info'];
const opFunctions: readonly OpFunction[] = ['read', 'write', 'cas'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRegisterValue(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function oneOf<T extends string>(allowed: readonly T[], value: unknown): T | undefined {
  return allowed.find((candidate) => candidate === value);
}

/** Validates the fields every event may carry, independent of what the process did before. */
export function parseEvent(text: string, line: number): HistoryEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new HistoryError(line, `Cannot parse JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isRecord(raw)) throw new HistoryError(line, 'Cannot read event: expected a JSON object');
  for (const field of Object.keys(raw)) {
    if (!knownFields.has(field)) throw new HistoryError(line, `Cannot read event: unknown field "${field}"`);
  }
  const { process, type, time, f, key, value, expected } = raw;
  const casOk = raw['cas_ok'];
  if (typeof process !== 'number' || !Number.isInteger(process)) {
    throw new HistoryError(line, 'Cannot read event: "process" must be an integer');
  }
  const eventType = oneOf(eventTypes, type);
  if (eventType === undefined) throw new HistoryError(line, 'Cannot read event: "type" must be invoke, ok, fail or info');
  if (typeof time !== 'number' || !Number.isInteger(time)) {
    throw new HistoryError(line, 'Cannot read event: "time" must be an integer (nanoseconds)');
  }
  const event: { -readonly [K in keyof HistoryEvent]: HistoryEvent[K] } = { line, process, type: eventType, time };
  if (f !== undefined) {
    const fn = oneOf(opFunctions, f);
    if (fn === undefined) throw new HistoryError(line, 'Cannot read event: "f" must be read, write or cas');
    event.f = fn;
  }
  if (key !== undefined) {
    if (typeof key !== 'string') throw new HistoryError(line, 'Cannot read event: "key" must be a string');
    event.key = key;
  }
  if (value !== undefined) {
    if (!isRegisterValue(value)) throw new HistoryError(line, 'Cannot read event: "value" must be a string or null');
    event.value = value;
  }
  if (expected !== undefined) {
    if (!isRegisterValue(expected)) throw new HistoryError(line, 'Cannot read event: "expected" must be a string or null');
    event.expected = expected;
  }
  if (casOk !== undefined) {
    if (typeof casOk !== 'boolean') throw new HistoryError(line, 'Cannot read event: "cas_ok" must be a boolean');
    event.casOk = casOk;
  }
  return event;
}

/** Parses every non-blank line; blank lines (such as a trailing newline) are skipped. */
export function parseEvents(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  for (const [i, lineText] of lines.entries()) {
    if (lineText.trim() === '') continue;
    events.push(parseEvent(lineText, i + 1));
  }
  return events;
}

/** Checks an invoke's per-function requirements; the f/key presence is checked by the caller. */
function checkInvoke(event: HistoryEvent, f: OpFunction): void {
  const fail = (message: string): never => {
    throw new HistoryError(event.line, `Cannot accept ${f} invoke: ${message}`);
  };
  if (event.casOk !== undefined) fail('"cas_ok" belongs only on an ok completion of a cas');
  if (f === 'read' && event.value !== undefined && event.value !== null) fail('"value" must be null on a read invoke');
  if (f === 'write' && event.value === undefined) fail('missing "value"');
  if (f !== 'cas' && event.expected !== undefined) fail('"expected" belongs only on cas events');
  if (f === 'cas' && event.value === undefined) fail('missing "value"');
  if (f === 'cas' && event.expected === undefined) fail('missing "expected"');
}

/** Checks a completion against the invoke it closes. */
function checkCompletion(invoke: HistoryEvent, done: HistoryEvent, f: OpFunction): void {
  const fail = (message: string): never => {
    throw new HistoryError(done.line, `Cannot accept ${done.type} completion of process ${done.process}: ${message}`);
  };
  if (done.time < invoke.time) fail(`time ${done.time} is before its invoke's time ${invoke.time}`);
  if (done.f !== undefined && done.f !== f) fail(`"f" is "${done.f}" but the invoke (line ${invoke.line}) says "${f}"`);
  if (done.key !== undefined && done.key !== invoke.key) fail(`"key" differs from the invoke (line ${invoke.line})`);
  if (done.casOk !== undefined && !(f === 'cas' && done.type === 'ok')) {
    fail('"cas_ok" belongs only on an ok completion of a cas');
  }
  if (f !== 'cas' && done.expected !== undefined) fail('"expected" belongs only on cas events');
  if (f === 'cas' && done.expected !== undefined && done.expected !== invoke.expected) {
    fail(`"expected" differs from the invoke (line ${invoke.line})`);
  }
  const isReadOk = f === 'read' && done.type === 'ok';
  if (isReadOk && done.value === undefined) fail('missing "value" (the value read)');
  if (!isReadOk && done.value !== undefined && done.value !== (invoke.value ?? null)) {
    fail(`"value" differs from the invoke (line ${invoke.line})`);
  }
}

interface PendingOp {
  readonly index: number;
  readonly invoke: HistoryEvent;
  readonly f: OpFunction;
  readonly key: string;
  done?: HistoryEvent;
}

function toOperation({ index, invoke, f, key, done }: PendingOp): Operation {
  const outcome: Outcome = done === undefined || done.type === 'invoke' ? 'info' : done.type;
  const value = f === 'read' ? (outcome === 'ok' ? (done?.value ?? null) : null) : (invoke.value ?? null);
  const base = {
    index,
    invokeLine: invoke.line,
    process: invoke.process,
    f,
    key,
    value,
    invokeTime: invoke.time,
    completeTime: outcome === 'info' || done === undefined ? Infinity : done.time,
    outcome,
  };
  if (f !== 'cas') return base;
  const expected = invoke.expected ?? null;
  // cas_ok defaults to true on an ok cas; on fail/info the compare result is unknown or moot.
  return outcome === 'ok' ? { ...base, expected, casOk: done?.casOk ?? true } : { ...base, expected };
}

interface ProcessState {
  /** The operation awaiting its completion, if any. */
  inFlight?: PendingOp;
  /** Line of the `info` that retired this process id, if any. */
  retiredAt?: number;
  lastTime: number;
}

/** Validates an invoke against its process's past and returns the operation it opens. */
function openOperation(event: HistoryEvent, state: ProcessState | undefined, index: number): PendingOp {
  const refuse = (message: string): never => {
    throw new HistoryError(event.line, `Cannot invoke on process ${event.process}: ${message}`);
  };
  if (state?.retiredAt !== undefined) refuse(`it ended with info on line ${state.retiredAt} and must take a new id`);
  if (state?.inFlight !== undefined) refuse(`its invoke on line ${state.inFlight.invoke.line} has not completed`);
  if (state !== undefined && event.time < state.lastTime) {
    refuse(`time ${event.time} is before its previous event's time ${state.lastTime}`);
  }
  const { f, key } = event;
  if (f === undefined) return refuse('missing "f"');
  if (key === undefined) return refuse('missing "key"');
  checkInvoke(event, f);
  return { index, invoke: event, f, key };
}

/**
 * Pairs invokes with completions. An invoke still open at the end of the history becomes an
 * `info` operation: the client never learned its outcome, which is exactly what `info` means.
 */
export function pairOperations(events: readonly HistoryEvent[]): Operation[] {
  const processes = new Map<number, ProcessState>();
  const opened: PendingOp[] = [];
  for (const event of events) {
    const state = processes.get(event.process);
    if (event.type === 'invoke') {
      const op = openOperation(event, state, opened.length);
      opened.push(op);
      processes.set(event.process, { inFlight: op, lastTime: event.time });
      continue;
    }
    const inFlight = state?.inFlight;
    if (inFlight === undefined) {
      throw new HistoryError(event.line, `Cannot accept ${event.type} completion: process ${event.process} has no operation in flight`);
    }
    checkCompletion(inFlight.invoke, event, inFlight.f);
    inFlight.done = event;
    const next: ProcessState = { lastTime: event.time };
    if (event.type === 'info') next.retiredAt = event.line;
    processes.set(event.process, next);
  }
  return opened.map(toOperation);
}

/** Parses and validates a whole `history.jsonl` text; throws HistoryError on the first problem. */
export function parseHistory(text: string): Operation[] {
  return pairOperations(parseEvents(text));
}
