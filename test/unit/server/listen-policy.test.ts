import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/server/config.js';
import { isLoopbackAddress } from '../../../src/server/listen-policy.js';

const at = (listen: string, ...more: string[]): string[] => ['--node-id', '1', '--listen', listen, '--peers', `1=${listen}`, ...more];

describe('isLoopbackAddress()', () => {
  it.each([
    ['127.0.0.1:7001', true], ['127.3.2.1:1', true], ['localhost:7001', true], ['LOCALHOST:1', true], ['[::1]:7001', true],
    ['0.0.0.0:7001', false], ['10.0.1.11:7001', false], ['[::]:7001', false], ['db1.example:7001', false], ['127.0.0.1.example:1', false],
  ])('%s -> %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});

describe('loadConfig() listen policy', () => {
  it('refuses plaintext on a non-loopback address, naming it and both ways out', () => {
    expect(() => loadConfig(at('0.0.0.0:7001'), {})).toThrow(ConfigError);
    expect(() => loadConfig(at('0.0.0.0:7001'), {})).toThrow(/listen "0\.0\.0\.0:7001" is not a loopback address and TLS is off.*--tls-cert, --tls-key.*--insecure-listen/);
  });

  it('refuses a plaintext peer port on a non-loopback address too', () => {
    expect(() => loadConfig(at('127.0.0.1:7001', '--peer-listen', '0.0.0.0:8001'), {})).toThrow(/peerListen "0\.0\.0\.0:8001" is not a loopback address and TLS is off/);
    expect(loadConfig(at('127.0.0.1:7001', '--peer-listen', '0.0.0.0:8001', '--insecure-listen'), {}).peerListen).toBe('0.0.0.0:8001');
  });

  it('accepts a non-loopback address with TLS, or with --insecure-listen, and loopback without either', () => {
    expect(loadConfig(at('0.0.0.0:7001', '--tls-cert', 'n.crt', '--tls-key', 'n.key'), {}).tls?.certFile).toBe('n.crt');
    expect(loadConfig(at('0.0.0.0:7001', '--insecure-listen'), {}).insecureListen).toBe(true);
    expect(loadConfig(at('0.0.0.0:7001'), { RAFTKV_INSECURE_LISTEN: 'true' }).insecureListen).toBe(true);
    expect(loadConfig(at('127.0.0.1:7001'), {}).tls).toBeUndefined();
  });
});
