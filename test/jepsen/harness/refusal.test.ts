// Goal: a sharded client tries again only after a refusal that proves the request had no effect.
// Method: errors shaped as the stub builds them, with and without the server's kv-* trailers.
import { describe, expect, it } from 'vitest';
import { KvClientError } from '../../../src/client/errors.js';
import { refusalOf } from './refusal.js';

describe('refusalOf()', () => {
  it.each([
    ['NOT_LEADER with a hint', new KvClientError('NOT_LEADER', 'x', { fromServer: true, details: { group: 3, leaderId: 2 } }), 'not-leader'],
    ['WRONG_SHARD naming the group (refused before proposing)', new KvClientError('WRONG_SHARD', 'x', { fromServer: true, details: { group: 3, ringEpoch: 4 } }), 'wrong-shard'],
    ['WRONG_SHARD without a group (joined node, no map yet)', new KvClientError('WRONG_SHARD', 'x', { fromServer: true, details: { ringEpoch: 0 } }), undefined],
    ['NO_LEADER from the server', new KvClientError('NO_LEADER', 'x', { fromServer: true, details: { group: 1 } }), 'no-leader'],
    ['OVERLOADED from the server', new KvClientError('OVERLOADED', 'x', { fromServer: true }), 'overloaded'],
    ['a request never sent', new KvClientError('NO_LEADER', 'No connection established', { grpcCode: 14, neverSent: true }), 'never-sent'],
    ['a deadline (outcome unknown)', new KvClientError('TIMEOUT', 'deadline', { grpcCode: 4 }), undefined],
    ['a dropped connection', new KvClientError('NO_LEADER', 'Connection dropped', { grpcCode: 14 }), undefined],
    ['a CAS mismatch', new KvClientError('CAS_MISMATCH', 'x', { fromServer: true }), undefined],
  ])('%s -> %s', (_name, error, refusal) => {
    expect(refusalOf(error)).toBe(refusal);
  });
});
