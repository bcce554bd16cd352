import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { createRootLogger } from '../../../src/shared/logger.js';
import { loadConfig } from '../../../src/server/config.js';
import { createPeerPort } from '../../../src/server/peer-server.js';
import { TlsMaterial } from '../../../src/transport/tls-material.js';
import { makeCa, makeCert } from '../../support/certs.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-peer-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createPeerPort()', () => {
  it('refuses TLS without a CA: the peer port is always mutual TLS', () => {
    const ca = makeCa(dir);
    const node = makeCert(dir, ca, { name: 'node-1', commonName: 'node-1' });
    const log = createRootLogger('silent', {});
    const config = loadConfig(['--node-id', '1', '--listen', '127.0.0.1:7001', '--peers', '1=127.0.0.1:7001', '--tls-cert', node.certFile, '--tls-key', node.keyFile], {});
    const tls = TlsMaterial.load({ certFile: node.certFile, keyFile: node.keyFile, caFile: undefined, clientCertAuth: false }, log);
    expect(() => createPeerPort(config, nodeId(1), new Map(), tls, log)).toThrow(/Setting tlsCa is required when TLS is on/);
  });
});
