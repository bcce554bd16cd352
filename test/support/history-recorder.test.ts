// Goal: an operation is recorded as `fail` only when it certainly did not happen. Method: errors
// shaped as the stub builds them, with and without the server's kv-* trailers.
import { describe, expect, it } from 'vitest';
import { KvClientError } from '../../src/client/errors.js';
import { KvError } from '../../src/shared/errors.js';
import { HistoryRecorder, isCertainRefusal, writeOutcome } from './history-recorder.js';

describe('writeOutcome()', () => {
  it.each([
    ['NOT_LEADER from the server', new KvClientError('NOT_LEADER', 'x', { fromServer: true, details: { group: 0 } }), 'fail'],
    ['NO_LEADER from the server', new KvClientError('NO_LEADER', 'x', { fromServer: true, details: { group: 0 } }), 'fail'],
    ['WRONG_SHARD from the server', new KvClientError('WRONG_SHARD', 'x', { fromServer: true, details: { group: 7, ringEpoch: 1 } }), 'fail'],
    ['a request never sent', new KvClientError('NO_LEADER', 'No connection established', { grpcCode: 14, neverSent: true }), 'fail'],
    ['UNAVAILABLE without trailers (connection dropped)', new KvClientError('NO_LEADER', 'Connection dropped', { grpcCode: 14 }), 'info'],
    ['a deadline', new KvClientError('TIMEOUT', 'deadline', { grpcCode: 4 }), 'info'],
    ['INTERNAL', new KvError('INTERNAL', 'x'), 'info'],
    ['not a KvError', new Error('boom'), 'info'],
  ])('%s -> %s', (_name, error, outcome) => {
    expect(writeOutcome(error)).toBe(outcome);
    expect(isCertainRefusal(error)).toBe(outcome === 'fail');
  });
});

describe('HistoryRecorder', () => {
  it('writes HISTORY.md events: expected only on cas invokes, cas_ok only on completions', () => {
    const recorder = new HistoryRecorder();
    const p = recorder.newProcess();
    recorder.invoke(p, 'cas', 'k', 'v2', null);
    recorder.complete(p, 'ok', 'cas', 'k', { casOk: false });
    const [invoke, done] = recorder.jsonl().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(invoke ?? {}).sort()).toEqual(['expected', 'f', 'key', 'process', 'time', 'type', 'value']);
    expect(done).toMatchObject({ type: 'ok', cas_ok: false });
    expect(Number(done?.['time'])).toBeGreaterThanOrEqual(Number(invoke?.['time']));
  });
});
