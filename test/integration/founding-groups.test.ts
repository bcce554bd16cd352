// Goal: a data directory is never reinterpreted with another group count. Starting a node on a
// directory founded unsharded (--groups 0) with the default 16 groups would route every key away
// from the data it holds; the server must refuse to start, say why, and change nothing.
// Method: a real one-node `raftkv serve --groups 0` writes a key and stops (SIGTERM); the same
// directory is started with the default --groups; it must exit with code 2 and name both counts;
// started again with --groups 0, it still serves the key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KvStub } from '../../src/client/kv-stub.js';
import { freePorts } from '../support/ports.js';
import { logTail, serveArgv, ServeProcess } from '../support/serve-process.js';

const root = mkdtempSync(join(tmpdir(), 'raftkv-groups-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function startNode(port: number, groups: string[]): Promise<{ proc: ServeProcess; stub: KvStub }> {
  const address = `127.0.0.1:${port}`;
  const argv = serveArgv({ nodeId: 1, listen: address, peers: new Map([[1, address]]), dataDir: join(root, 'n1'), tickMs: 20, electionTicks: 10, extra: groups });
  const proc = ServeProcess.spawn(argv, join(root, 'n1.log'));
  const stub = new KvStub(address);
  return { proc, stub };
}

describe('the group count a data directory was founded with', () => {
  it('refuses to start it with another --groups, and serves it again with the right one', async () => {
    const [port = 0] = await freePorts(1);
    const first = await startNode(port, ['--groups', '0']);
    await first.proc.waitUntilServing('node 1 to accept a write', 30_000, () => first.stub.call('Put', { key: Buffer.from('kept'), value: Buffer.from('v') }, { deadlineMs: 1_000 }).catch(() => undefined));
    first.stub.close();
    expect((await first.proc.stop('SIGTERM', 15_000))?.code).toBe(0);

    const wrong = await startNode(port, ['--groups', '16']);
    const exit = await Promise.race([wrong.proc.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 30_000))]);
    wrong.stub.close();
    expect(exit?.code).toBe(2);
    expect(logTail(wrong.proc.logPath)).toContain('founded with --groups 0; start with --groups 0');

    const again = await startNode(port, ['--groups', '0']);
    const got = await again.proc.waitUntilServing('node 1 to serve the key', 30_000, () => again.stub.call('Get', { key: Buffer.from('kept') }, { deadlineMs: 1_000 }).catch(() => undefined));
    expect(got['found']).toBe(true);
    expect(Buffer.from((got['kv'] as { value: Uint8Array }).value).toString()).toBe('v');
    again.stub.close();
    await again.proc.stop('SIGTERM', 15_000);
  }, 90_000);
});
