// Goal: a node keeps its data owner-only (dir 0700, files 0600, and a data dir left readable by an
// older version is tightened at start), and `raftkv serve` refuses plaintext on a non-loopback
// address unless --insecure-listen is given, which it then logs loudly. Method: real processes.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/kv-client.js';
import { KvStub } from '../../src/client/kv-stub.js';
import { pollUntil } from '../support/poll.js';
import { freePorts } from '../support/ports.js';
import { serveArgv, ServeProcess } from '../support/serve-process.js';

const root = mkdtempSync(join(tmpdir(), 'raftkv-secure-'));
const started: ServeProcess[] = [];
afterAll(async () => {
  for (const proc of started) await proc.stop('SIGKILL', 5_000);
  rmSync(root, { recursive: true, force: true });
});

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

function serve(name: string, port: number, extra: readonly string[]): ServeProcess {
  const listen = `0.0.0.0:${port}`;
  const argv = serveArgv({ nodeId: 1, listen, advertise: `127.0.0.1:${port}`, peers: new Map([[1, `127.0.0.1:${port}`]]), dataDir: join(root, name), tickMs: 20, electionTicks: 10, extra });
  const proc = ServeProcess.spawn(argv, join(root, `${name}.log`));
  started.push(proc);
  return proc;
}

describe('raftkv serve secure defaults', () => {
  it('refuses plaintext on 0.0.0.0 without --insecure-listen, exit code 2', async () => {
    const [port = 0] = await freePorts(1);
    const proc = serve('refused', port, []);
    expect(await proc.stop('SIGCONT', 30_000)).toEqual({ code: 2, signal: null });
    expect(readFileSync(proc.logPath, 'utf8')).toContain(`listen "0.0.0.0:${port}" is not a loopback address and TLS is off`);
  });

  it('with --insecure-listen serves, warns, and keeps the data dir owner-only (tightening an old one)', async () => {
    const [port = 0] = await freePorts(1);
    const dataDir = join(root, 'old');
    mkdirSync(join(dataDir, 'raftkv.db.snapshots'), { recursive: true });
    writeFileSync(join(dataDir, 'alarms.json.old'), '{}');
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'raftkv.db.snapshots'), 0o755);
    chmodSync(join(dataDir, 'alarms.json.old'), 0o644);
    const proc = serve('old', port, ['--insecure-listen']);
    const stub = new KvStub(`127.0.0.1:${port}`);
    try {
      await proc.waitUntilServing('node 1 to answer Status', 30_000, () => stub.call('Status', {}, { deadlineMs: 1_000 }));
      // A write makes the WAL; the node may still be electing itself, so retry it (bounded).
      await pollUntil('a put to succeed', 20_000, () => stub.call('Put', { key: Buffer.from('k'), value: Buffer.from('v') }, { deadlineMs: 1_000 }));
    } finally {
      stub.close();
    }
    // A client that expects TLS from this plaintext node is told so, not "No connection established".
    const client = createClient({ endpoints: [`127.0.0.1:${port}`], tls: {}, defaultDeadlineMs: 2_000 });
    await expect(client.get('k')).rejects.toThrow(`TLS handshake with 127.0.0.1:${port} failed: the server does not speak TLS`);
    client.close();
    const log = readFileSync(proc.logPath, 'utf8');
    expect(log).toMatch(/"level":40.*INSECURE: serving plaintext on a non-loopback address/);
    expect(log).toContain('data dir was readable by other users; tightened it to owner-only');
    expect(mode(dataDir)).toBe('700');
    expect(mode(join(dataDir, 'raftkv.db.snapshots'))).toBe('700');
    expect(mode(join(dataDir, 'alarms.json.old'))).toBe('600');
    for (const file of ['raftkv.db', 'raftkv.db-wal']) expect(mode(join(dataDir, file)), file).toBe('600');
  });
});
