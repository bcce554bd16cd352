import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '../../../src/shared/logger.js';
import { TlsMaterial } from '../../../src/transport/tls-material.js';
import { ConfigError } from '../../../src/server/config.js';
import { makeCa, makeCert } from '../../support/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-tls-'));
const ca = makeCa(dir);
const one = makeCert(dir, ca, { name: 'one', commonName: 'node-1' });
const two = makeCert(dir, ca, { name: 'two', commonName: 'node-2' });
const log = createRootLogger('silent');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TlsMaterial', () => {
  it('refuses a key that belongs to another certificate, naming both files', () => {
    expect(() => TlsMaterial.load({ certFile: one.certFile, keyFile: two.keyFile, caFile: ca.certFile, clientCertAuth: false }, log))
      .toThrow(new ConfigError(`TLS key "${two.keyFile}" does not belong to the certificate "${one.certFile}"`));
  });

  it('refuses a missing file, naming it', () => {
    expect(() => TlsMaterial.load({ certFile: join(dir, 'nope.crt'), keyFile: one.keyFile, caFile: undefined, clientCertAuth: false }, log))
      .toThrow(/Cannot read the TLS certificate \(tlsCert\) ".*nope.crt"/);
  });

  it('hands listeners the rotated pair on reload and keeps the old one when the new is broken', async () => {
    const certFile = join(dir, 'live.crt');
    const keyFile = join(dir, 'live.key');
    copyFileSync(one.certFile, certFile);
    copyFileSync(one.keyFile, keyFile);
    const material = TlsMaterial.load({ certFile, keyFile, caFile: ca.certFile, clientCertAuth: false }, log);
    const seen: string[] = [];
    material.addIdentityCertificateListener((update) => seen.push(update?.certificate.toString() ?? 'none'));
    await Promise.resolve(); // The first update comes on a microtask (see addCaCertificateListener).
    expect(seen).toHaveLength(1);
    copyFileSync(two.certFile, certFile);
    copyFileSync(two.keyFile, keyFile);
    expect(material.reload('test')).toBe(true);
    writeFileSync(keyFile, 'not a key');
    expect(material.reload('test')).toBe(false);
    expect(seen).toHaveLength(2);
    expect(seen[1]).not.toBe(seen[0]);
    material.close();
  });
});
