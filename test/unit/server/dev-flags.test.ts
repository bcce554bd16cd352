// Goal: `raftkv dev` (npm start) takes --groups for every node, so a data directory founded
// unsharded can still be started with --groups 0, and refuses a bad value with a message.
// Method: parseDevFlags() tables.
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDevFlags } from '../../../src/cli/dev-cluster.js';
import { devCertificates, devTlsFlags, kvctlTlsFlags } from '../../../src/cli/dev-tls.js';

describe('raftkv dev flags', () => {
  it('leaves --groups to the server by default and passes one when given', () => {
    expect(parseDevFlags([]).groups).toBeUndefined();
    expect(parseDevFlags(['--groups', '0', '--nodes', '5'])).toMatchObject({ groups: 0, nodes: 5 });
  });

  it('takes --tls as a bare flag anywhere, and makes node and client certificates with openssl', () => {
    expect(parseDevFlags(['--tls', '--groups', '0'])).toMatchObject({ tls: true, groups: 0 });
    expect(parseDevFlags(['--nodes', '1', '--tls'])).toMatchObject({ tls: true, nodes: 1 });
    expect(parseDevFlags([]).tls).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'raftkv-dev-tls-'));
    try {
      const certs = devCertificates(dir, 2);
      const node2 = new X509Certificate(readFileSync(certs.nodes.get(2)?.certFile ?? ''));
      expect(node2.subject).toBe('CN=node-2');
      expect(node2.subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
      expect(node2.checkIssued(new X509Certificate(readFileSync(certs.ca.certFile)))).toBe(true);
      expect(new X509Certificate(readFileSync(certs.client.certFile)).subject).toBe('CN=root');
      expect(devTlsFlags(certs, 2)).toEqual(['--tls-cert', certs.nodes.get(2)?.certFile, '--tls-key', certs.nodes.get(2)?.keyFile, '--tls-ca', certs.ca.certFile, '--client-cert-auth']);
      expect(kvctlTlsFlags(certs)).toBe(`--cacert ${certs.ca.certFile} --cert ${certs.client.certFile} --key ${certs.client.keyFile}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --groups and an unknown flag, naming the flags it knows', () => {
    expect(() => parseDevFlags(['--groups', '-1'])).toThrow('--groups must be 0 or more');
    expect(() => parseDevFlags(['--replicas', '2'])).toThrow('raftkv dev takes --nodes, --base-port, --data-dir, --groups, --tls');
  });
});
