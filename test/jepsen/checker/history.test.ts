// Goal: the parser accepts exactly the format of /work/shared/HISTORY.md and says which line is
// wrong otherwise. Method: the doc's own example must parse into the expected operations; a table
// of small broken histories must each be rejected with the right line number and reason.

import { describe, expect, it } from 'vitest';
import { HistoryError, parseHistory } from './history.js';

const docExample = `{"process":0,"type":"invoke","f":"write","key":"k1","value":"0-1","time":1000}
{"process":1,"type":"invoke","f":"read","key":"k1","value":null,"time":1500}
{"process":0,"type":"ok","f":"write","key":"k1","value":"0-1","time":2100}
{"process":1,"type":"ok","f":"read","key":"k1","value":"0-1","time":2300}
{"process":2,"type":"invoke","f":"cas","key":"k1","expected":"0-1","value":"2-1","time":2400}
{"process":2,"type":"ok","f":"cas","key":"k1","cas_ok":true,"time":3100}
{"process":0,"type":"invoke","f":"write","key":"k1","value":"0-2","time":3200}
{"process":0,"type":"info","f":"write","key":"k1","error":{"code":"DEADLINE_EXCEEDED"},"time":9000}
`;

function rejection(text: string): HistoryError {
  try {
    parseHistory(text);
  } catch (error) {
    if (error instanceof HistoryError) return error;
    throw error;
  }
  throw new Error('Expected the history to be rejected');
}

describe('parseHistory()', () => {
  it('parseHistory() pairs the example from HISTORY.md into operations', () => {
    const ops = parseHistory(docExample);
    expect(ops).toEqual([
      { index: 0, invokeLine: 1, process: 0, f: 'write', key: 'k1', value: '0-1', invokeTime: 1000, completeTime: 2100, outcome: 'ok' },
      { index: 1, invokeLine: 2, process: 1, f: 'read', key: 'k1', value: '0-1', invokeTime: 1500, completeTime: 2300, outcome: 'ok' },
      { index: 2, invokeLine: 5, process: 2, f: 'cas', key: 'k1', value: '2-1', expected: '0-1', casOk: true, invokeTime: 2400, completeTime: 3100, outcome: 'ok' },
      { index: 3, invokeLine: 7, process: 0, f: 'write', key: 'k1', value: '0-2', invokeTime: 3200, completeTime: Infinity, outcome: 'info' },
    ]);
  });

  it('parseHistory() treats an invoke left open at the end as info with completeTime Infinity', () => {
    const ops = parseHistory('{"process":4,"type":"invoke","f":"cas","key":"k","expected":null,"value":"a","time":5}\n');
    expect(ops).toEqual([
      { index: 0, invokeLine: 1, process: 4, f: 'cas', key: 'k', value: 'a', expected: null, invokeTime: 5, completeTime: Infinity, outcome: 'info' },
    ]);
  });

  it('parseHistory() keeps cas_ok false and fail outcomes, and skips blank lines', () => {
    const text = [
      '{"process":0,"type":"invoke","f":"cas","key":"k","expected":"x","value":"y","time":1}',
      '',
      '{"process":0,"type":"ok","cas_ok":false,"time":2}',
      '{"process":0,"type":"invoke","f":"write","key":"k","value":null,"time":3}',
      '{"process":0,"type":"fail","error":"NOT_LEADER","time":4}',
    ].join('\n');
    const [first, second] = parseHistory(text);
    expect(first).toMatchObject({ f: 'cas', casOk: false, outcome: 'ok', completeTime: 2 });
    expect(second).toMatchObject({ f: 'write', value: null, outcome: 'fail', invokeLine: 4 });
  });

  const invokeW = '{"process":0,"type":"invoke","f":"write","key":"k","value":"a","time":1}';
  const okW = '{"process":0,"type":"ok","time":2}';
  const rejections: Array<[string, string[], number, RegExp]> = [
    ['an unknown field', [invokeW, '{"process":0,"type":"ok","vaule":"a","time":2}'], 2, /unknown field "vaule"/],
    ['a write invoke without value', ['{"process":0,"type":"invoke","f":"write","key":"k","time":1}'], 1, /missing "value"/],
    ['a read ok without value', ['{"process":0,"type":"invoke","f":"read","key":"k","value":null,"time":1}', okW], 2, /missing "value"/],
    ['a cas invoke without expected', ['{"process":0,"type":"invoke","f":"cas","key":"k","value":"a","time":1}'], 1, /missing "expected"/],
    ['an invoke without f', ['{"process":0,"type":"invoke","key":"k","value":"a","time":1}'], 1, /missing "f"/],
    ['an invoke without key', ['{"process":0,"type":"invoke","f":"write","value":"a","time":1}'], 1, /missing "key"/],
    ['a second invoke before the first completed', [invokeW, invokeW.replace('"time":1', '"time":2')], 2, /has not completed/],
    ['a completion with nothing in flight', [okW], 1, /no operation in flight/],
    ['a process reusing its id after info', [invokeW, '{"process":0,"type":"info","time":2}', invokeW.replace('"time":1', '"time":3')], 3, /ended with info on line 2/],
    ['a completion before its invoke', [invokeW.replace('"time":1', '"time":9'), okW], 2, /before its invoke/],
    ['a completion whose f differs', [invokeW, '{"process":0,"type":"ok","f":"read","time":2}'], 2, /"f" is "read"/],
    ['a completion whose value differs', [invokeW, '{"process":0,"type":"ok","value":"b","time":2}'], 2, /"value" differs/],
    ['cas_ok on a write', [invokeW, '{"process":0,"type":"ok","cas_ok":true,"time":2}'], 2, /cas_ok/],
    ['expected on a write', ['{"process":0,"type":"invoke","f":"write","key":"k","value":"a","expected":null,"time":1}'], 1, /"expected" belongs only on cas/],
    ['a read invoke with a value', ['{"process":0,"type":"invoke","f":"read","key":"k","value":"a","time":1}'], 1, /must be null/],
    ['a non-integer time', ['{"process":0,"type":"invoke","f":"read","key":"k","value":null,"time":1.5}'], 1, /"time" must be an integer/],
    ['an unknown type', ['{"process":0,"type":"done","time":1}'], 1, /"type" must be/],
    ['a numeric value', ['{"process":0,"type":"invoke","f":"write","key":"k","value":7,"time":1}'], 1, /string or null/],
    ['a line that is not JSON', [invokeW, '{"process":0,'], 2, /Cannot parse JSON/],
    ['a JSON array line', ['[1,2]'], 1, /expected a JSON object/],
  ];

  it.each(rejections)('parseHistory() rejects %s', (_name, lines, line, message) => {
    const error = rejection(lines.join('\n'));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`line ${line}:`);
  });
});
