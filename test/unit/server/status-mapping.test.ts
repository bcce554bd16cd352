/**
 * Every error code has a gRPC status and a row in README.md's error table, so users and the SDK
 * can rely on the documented contract.
 */
import { readFileSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { KV_ERROR_CODES, KvError } from '../../../src/shared/errors.js';
import { grpcStatusOf, toServiceError } from '../../../src/server/status-mapping.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('status mapping', () => {
  it.each(KV_ERROR_CODES)('%s has a row in the README error table naming its gRPC status', (code) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\``));
    expect(row, `README.md lacks a row for ${code}`).toBeDefined();
    expect(row).toContain(status[grpcStatusOf(code)]);
  });

  it('toServiceError() puts the leader hint of NOT_LEADER in kv-* trailers', () => {
    const err = toServiceError(new KvError('NOT_LEADER', 'Cannot put: node 2 is not the leader', { group: 0, term: 7, leaderId: 3, leaderAddr: '127.0.0.1:7003' }));
    expect(err.code).toBe(status.UNAVAILABLE);
    const md = err.metadata?.getMap();
    expect(md).toMatchObject({ 'kv-error': 'NOT_LEADER', 'kv-group': '0', 'kv-term': '7', 'kv-leader-id': '3', 'kv-leader-addr': '127.0.0.1:7003' });
  });

  it('toServiceError() sends no kv-* trailers for TIMEOUT', () => {
    const err = toServiceError(new KvError('TIMEOUT', 'Cannot put: deadline exceeded'));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.metadata?.getMap()).toEqual({});
  });
});
