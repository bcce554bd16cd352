/** The example config in deploy/ must stay loadable by the real config loader. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';

describe('deploy/raftkv.example.json', () => {
  it('loadConfig() accepts the example config file with every setting', () => {
    const path = new URL('../../deploy/raftkv.example.json', import.meta.url).pathname;
    const config = loadConfig(['--config', path], {});
    expect(config.nodeId).toBe(1);
    expect(config.peers.size).toBe(3);
    expect(config.advertise).toBe('10.0.1.11:7001');
    // It listens on all interfaces, so it must use TLS (plaintext there is refused).
    expect(config.tls).toEqual({ certFile: '/etc/raftkv/tls/node.crt', keyFile: '/etc/raftkv/tls/node.key', caFile: '/etc/raftkv/tls/ca.crt', clientCertAuth: true });
  });
});
