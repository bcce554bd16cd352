// Goal: issue #13. On a cluster with client certificates required and auth enabled, the
// certificate's CN is the user when a call carries no token (docs/auth.md): alice's certificate
// reads and writes app/ but not other/, and a certificate from the right CA naming no user is
// UNAUTHENTICATED. Method: one real node with --client-cert-auth; root sets up users through its
// own certificate (CN root) while auth is off, enables auth, then each certificate makes calls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, KvError, type KvClient } from '../../src/client/kv-client.js';
import { loadClientTls } from '../../src/client/client-tls.js';
import { makeCa, makeCert } from '../support/certs.js';
import { useCluster } from './use-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-auth-tls-'));
const ca = makeCa(dir);
const certOf = (name: string) => makeCert(dir, ca, { name, commonName: name });
const node = certOf('node-1');
const tlsAs = (name: string) => {
  const cert = certOf(name);
  return { caFile: ca.certFile, certFile: cert.certFile, keyFile: cert.keyFile };
};
const [root, alice, mallory] = [tlsAs('root'), tlsAs('alice'), tlsAs('mallory')];
const cluster = useCluster({
  size: 1, flags: ['--hash-check-interval-ms', '0'], clientTls: loadClientTls(root),
  nodes: { 1: { flags: ['--tls-cert', node.certFile, '--tls-key', node.keyFile, '--tls-ca', ca.certFile, '--client-cert-auth'] } },
});
const clients: KvClient[] = [];

afterAll(() => {
  for (const c of clients) c.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(tls: typeof root): KvClient {
  const made = createClient({ endpoints: [cluster().address(1)], tls, defaultDeadlineMs: 5_000 });
  clients.push(made);
  return made;
}

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'OK';
  } catch (error) {
    if (error instanceof KvError) return error.code;
    throw error;
  }
}

describe('client certificates as users', () => {
  it('let the certificate CN act as the user, with that user\'s permissions', async () => {
    const admin = client(root);
    await admin.authChange({ action: 'user-add', name: 'root', password: 'root-pw' });
    await admin.authChange({ action: 'user-add', name: 'alice', password: 'alice-pw' });
    await admin.authChange({ action: 'role-add', name: 'app-rw' });
    await admin.authChange({ action: 'role-grant', name: 'app-rw', permission: 'readwrite', key: 'app/', prefix: true });
    await admin.authChange({ action: 'user-grant-role', name: 'alice', role: 'app-rw' });
    await admin.put('other/x', 'root wrote this');
    expect(await admin.authChange({ action: 'enable' })).toEqual({ enabled: true });

    const asAlice = client(alice);
    await asAlice.put('app/x', 'alice wrote this');
    expect((await asAlice.get('app/x'))?.value.toString()).toBe('alice wrote this');
    expect(await codeOf(() => asAlice.put('other/x', 'no'))).toBe('PERMISSION_DENIED');
    expect(await codeOf(() => asAlice.get('other/x'))).toBe('PERMISSION_DENIED');
    expect(await codeOf(() => asAlice.authChange({ action: 'disable' }))).toBe('PERMISSION_DENIED');
    expect(await codeOf(() => client(mallory).get('app/x'))).toBe('UNAUTHENTICATED');
    expect((await admin.get('other/x'))?.value.toString()).toBe('root wrote this');
  });
});
