// Goal: kvctl turns failures into a message that says what happened and what to do, and into the
// documented exit codes (src/cli/commands/describe-error.ts).
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/commands/args.js';
import { describeError } from '../../../src/cli/commands/describe-error.js';
import { InputEncodingError } from '../../../src/cli/output/bytes-format.js';
import { KvClientError, OutcomeUnknownError, UnreachableError } from '../../../src/client/errors.js';
import { KvError } from '../../../src/shared/errors.js';

describe('describeError()', () => {
  it('an unreachable cluster names the endpoints, the reason and the fix', () => {
    expect(describeError(new UnreachableError(['127.0.0.1:7001', '127.0.0.1:7002'], 'connection refused'))).toEqual({
      message: 'kvctl: no endpoint reachable: tried 127.0.0.1:7001, 127.0.0.1:7002 (connection refused); is the cluster running? (npm start), or pass --endpoints',
      exitCode: 1,
    });
  });

  it('a usage error points at the command help, exit code 2', () => {
    expect(describeError(new UsageError('get: missing KEY', 'get'))).toEqual({ message: "kvctl: get: missing KEY\nRun 'kvctl get --help' for usage.", exitCode: 2 });
    expect(describeError(new InputEncodingError('KEY is not hex')).exitCode).toBe(2);
  });

  it('an unknown outcome says to check before writing again', () => {
    const described = describeError(new OutcomeUnknownError('Cannot tell whether the put of key "a" applied: its deadline of 500 ms passed; read the key before writing again'));
    expect(described.message).toBe(`kvctl: cannot tell whether the put of key "a" applied: its deadline of 500 ms passed; read the key before writing again ('kvctl get KEY'): the write may or may not have applied`);
    expect(described.exitCode).toBe(1);
  });

  it.each([
    ['TIMEOUT', /^kvctl: timed out: .*raise --timeout/],
    ['NO_LEADER', /^kvctl: the cluster has no leader right now: .*kvctl endpoint status/],
    ['OVERLOADED', /^kvctl: the cluster is overloaded/],
    ['INVALID_ARGUMENT', /^kvctl: the server refused the request: /],
    ['INTERNAL', /^kvctl: the server failed: .*server log/],
  ] as const)('%s has a hint', (code, pattern) => {
    expect(describeError(new KvError(code, 'Something happened')).message).toMatch(pattern);
  });

  it('an INVALID_ARGUMENT the SDK raised itself is not blamed on the server', () => {
    const own = new KvClientError('INVALID_ARGUMENT', 'Cannot run the transaction across groups: its keys belong to group 1 (e.g. key "a"), group 2 (e.g. key "b")');
    expect(describeError(own)).toEqual({ message: 'kvctl: the request is invalid: cannot run the transaction across groups: its keys belong to group 1 (e.g. key "a"), group 2 (e.g. key "b")', exitCode: 1 });
    expect(describeError(new KvClientError('INVALID_ARGUMENT', 'Bad key', { grpcCode: 3, fromServer: true })).message).toBe('kvctl: the server refused the request: bad key');
  });

  it('a compare failure is exit code 4', () => {
    expect(describeError(new KvError('CAS_MISMATCH', 'x')).exitCode).toBe(4);
  });

  it('an unimplemented call suggests upgrading the server', () => {
    expect(describeError(new KvClientError('INTERNAL', 'unknown service raftkv.v1.Cluster', { grpcCode: 12 })).message).toMatch(/does not support this call/);
  });

  it('any other error is exit code 1 with its message', () => {
    expect(describeError(new Error('EACCES: permission denied'))).toEqual({ message: 'kvctl: EACCES: permission denied', exitCode: 1 });
  });
});
