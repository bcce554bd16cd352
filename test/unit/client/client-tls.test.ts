// The SDK's tls option and kvctl's TLS flags: bad settings fail at once, naming what is wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientCommonName, commonNameOf, loadClientTls } from '../../../src/client/client-tls.js';
import { createClient, KvClientError } from '../../../src/client/kv-client.js';
import { Flags, UsageError } from '../../../src/cli/commands/args.js';
import { describeIdentity, tlsFromFlags } from '../../../src/cli/commands/tls-flags.js';
import { makeCa, makeCert } from '../../support/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-client-tls-'));
const ca = makeCa(dir);
const alice = makeCert(dir, ca, { name: 'alice', commonName: 'alice' });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(run: () => unknown): KvClientError {
  try {
    run();
  } catch (error) {
    if (error instanceof KvClientError) return error;
    throw error;
  }
  throw new Error('Expected a KvClientError');
}

describe('loadClientTls()', () => {
  it('reads the files and knows the client certificate CN', () => {
    const tls = loadClientTls({ caFile: ca.certFile, certFile: alice.certFile, keyFile: alice.keyFile });
    expect(tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(clientCommonName(tls)).toBe('alice');
    expect(loadClientTls(undefined)).toBeUndefined();
    expect(commonNameOf('O=raftkv\nCN=node-1')).toBe('node-1');
  });

  it.each([
    ['an unreadable file, naming it', { caFile: join(dir, 'nope.crt') }, /Cannot create the client: cannot read tls.caFile ".*nope.crt"/, 'tls.caFile'],
    ['a certificate without its key', { certFile: alice.certFile }, /tls.cert and tls.key go together/, 'tls.key'],
    ['PEM text and a file for the same item', { ca: 'x', caFile: ca.certFile }, /give tls.ca or tls.caFile, not both/, 'tls.ca'],
    ['a CA that is not a certificate', { caFile: alice.keyFile }, /tls.ca is not a PEM certificate/, 'tls.ca'],
  ])('refuses %s with INVALID_ARGUMENT', (_what, options, message, field) => {
    const error = refusal(() => createClient({ endpoints: ['127.0.0.1:1'], tls: options }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
    expect(error.details.field).toBe(field);
  });
});

describe('kvctl TLS flags', () => {
  it('take flags over KVCTL_* variables, and plaintext when neither is given', () => {
    expect(tlsFromFlags(new Flags({ cacert: 'a.crt' }), { KVCTL_CACERT: 'env.crt', KVCTL_CERT: 'c.crt', KVCTL_KEY: 'c.key' }))
      .toEqual({ caFile: 'a.crt', certFile: 'c.crt', keyFile: 'c.key' });
    expect(tlsFromFlags(new Flags({}), {})).toBeUndefined();
    expect(() => tlsFromFlags(new Flags({ cert: 'c.crt' }), {})).toThrow(UsageError);
  });

  it('describe the identities a call ran with', () => {
    expect(describeIdentity('h:1', { tls: true, serverCommonName: 'node-1', clientCommonName: 'alice' })).toBe('TLS: on, server cert CN node-1 (h:1), client cert CN alice');
    expect(describeIdentity('h:1', { tls: true, serverCommonName: 'node-1' })).toBe('TLS: on, server cert CN node-1 (h:1), client cert none');
    expect(describeIdentity('h:1', { tls: false })).toMatch(/^TLS: off/);
  });
});
