import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/server/config.js';

const base = ['--node-id', '1', '--listen', '127.0.0.1:7001', '--peers', '1=127.0.0.1:7001,2=127.0.0.1:7002'];

describe('loadConfig()', () => {
  it('applies defaults, then file, then environment, then flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkv-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ tickMs: 20, dataDir: '/from/file', logLevel: 'debug' }));
    const config = loadConfig([...base, '--config', file, '--log-level', 'warn'], { RAFTKV_DATA_DIR: '/from/env' });
    expect(config.tickMs).toBe(20);
    expect(config.dataDir).toBe('/from/env');
    expect(config.logLevel).toBe('warn');
    expect(config.electionTicks).toBe(10);
    expect([...config.peers]).toEqual([[1, '127.0.0.1:7001'], [2, '127.0.0.1:7002']]);
    expect(config.advertise).toBe('127.0.0.1:7001');
  });

  it.each([
    { argv: [...base, '--tick-ms', 'fast'], message: /tickMs from flags must be an integer in \[1, 60000\], got "fast"/ },
    { argv: [...base, '--bogus', '1'], message: /Unknown flag --bogus/ },
    { argv: ['--node-id', '3', '--listen', '127.0.0.1:1', '--peers', '1=127.0.0.1:7001'], message: /peers must include this node \(3\)/ },
    { argv: [...base, '--listen', 'nowhere'], message: /listen must look like host:port, got "nowhere"/ },
    { argv: [...base, '--election-ticks', '2', '--heartbeat-ticks', '2'], message: /heartbeatTicks \(2\) must be below electionTicks \(2\)/ },
    { argv: [...base, '--peers', '1=127.0.0.1:7001,x'], message: /peers from flags must look like/ },
    { argv: [...base, '--config', '/nonexistent/raftkv.json'], message: /Cannot read config file "\/nonexistent\/raftkv.json"/ },
    { argv: ['--listen', '127.0.0.1:1'], message: /nodeId is required/ },
    { argv: [...base, '--quota-bytes', '1000'], message: /quotaBytes from flags must be 0 \(off\) or at least 1048576, got "1000"/ },
    { argv: [...base, '--quota-bytes', '-1'], message: /quotaBytes from flags must be an integer in \[0, / },
    { argv: [...base, '--peer-listen', '127.0.0.1:7001'], message: /peerListen must differ from listen \("127.0.0.1:7001"\)/ },
    { argv: [...base, '--listen', '127.0.0.1:65000'], message: /peerListen is required: listen "127.0.0.1:65000" has no port \+ 1000/ },
    { argv: [...base, '--peers', '1=127.0.0.1:7001@nowhere'], message: /peers\[1\] from flags must look like host:port or host:port@peerhost:peerport/ },
  ])('rejects $argv with a message naming the setting', ({ argv, message }) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });

  it('rejects unknown settings in the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkv-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ tickMS: 20 }));
    expect(() => loadConfig([...base, '--config', file], {})).toThrow(/Unknown setting "tickMS"/);
  });

  it('reads --quota-bytes from flag, environment or file; 2 GiB by default, 0 turns it off', () => {
    expect(loadConfig(base, {}).quotaBytes).toBe(2 * 1024 ** 3);
    expect(loadConfig(base, { RAFTKV_QUOTA_BYTES: '0' }).quotaBytes).toBe(0);
    expect(loadConfig([...base, '--quota-bytes', '1048576'], { RAFTKV_QUOTA_BYTES: '0' }).quotaBytes).toBe(1024 * 1024);
  });

  it('puts the peer port at the client port + 1000 unless --peer-listen says otherwise; --peer-advertise follows it', () => {
    const derived = loadConfig(base, {});
    expect([derived.peerListen, derived.peerAdvertise]).toEqual(['127.0.0.1:8001', '127.0.0.1:8001']);
    const given = loadConfig([...base, '--peer-listen', '0.0.0.0:9001', '--insecure-listen'], { RAFTKV_PEER_ADVERTISE: 'n1.example:9001' });
    expect([given.peerListen, given.peerAdvertise]).toEqual(['0.0.0.0:9001', 'n1.example:9001']);
    const both = loadConfig(['--node-id', '1', '--listen', '127.0.0.1:7001', '--peers', '1=127.0.0.1:7001@127.0.0.1:9001,2=h2:7002'], {});
    const advertised = loadConfig([...base, '--listen', '0.0.0.0:7001', '--advertise', 'n1:7001', '--insecure-listen'], {});
    expect([advertised.peerListen, advertised.peerAdvertise]).toEqual(['0.0.0.0:8001', 'n1:8001']);
    expect([...both.peers]).toEqual([[1, '127.0.0.1:7001@127.0.0.1:9001'], [2, 'h2:7002']]);
  });

  it('accepts --join without peers for a node that waits to be added', () => {
    const config = loadConfig(['--node-id', '4', '--listen', '127.0.0.1:7004', '--join'], {});
    expect(config.join).toBe(true);
    expect(config.peers.size).toBe(0);
  });
});
