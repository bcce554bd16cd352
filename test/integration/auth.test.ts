// Goal: authentication and roles end to end on real `raftkv serve` processes (issue #13, docs/auth.md):
// with auth on, calls without a credential or with a wrong password are UNAUTHENTICATED; a user
// with read on app/ cannot write app/x nor read other/x (PERMISSION_DENIED naming the permission);
// only root runs member, leader, snapshot and auth operations; a token minted before the group-0
// leader is killed works at the new leader, and after a restart of every node; auth disable opens
// the cluster again. Method: one unsharded 3-node cluster with the consistency check off (its
// peer calls use the client port, which auth refuses until they move to the peer port); the tests
// run in order and share the state they build.
import { describe, expect, it } from 'vitest';
import { createClient, KvError, type KvClient } from '../../src/client/kv-client.js';
import { KvStub } from '../../src/client/kv-stub.js';
import { TokenAuth } from '../../src/client/credentials.js';
import { kvctl } from '../e2e/kvctl-process.js';
import { pollUntil } from './cluster.js';
import { useCluster } from './use-cluster.js';

const cluster = useCluster({ size: 3, flags: ['--hash-check-interval-ms', '0'] });
const clients: KvClient[] = [];

function client(credentials?: { user: string; password: string } | { token: string }): KvClient {
  const c = cluster();
  const made = createClient({ endpoints: c.ids().map((id) => c.address(id)), defaultDeadlineMs: 10_000, retry: { attemptsMax: 30 }, ...(credentials === undefined ? {} : { credentials }) });
  clients.push(made);
  return made;
}

async function failure(run: () => Promise<unknown>): Promise<KvError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof KvError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

const ROOT = { user: 'root', password: 'root-pw' };
const ALICE = { user: 'alice', password: 'alice-pw' };

describe('auth', () => {
  it('sets up users and a role, then enables auth', async () => {
    const open = client();
    const c = cluster();
    const [added] = await Promise.all([
      kvctl(['user', 'add', 'alice'], { endpoints: c.ids().map((id) => c.address(id)), env: { KVCTL_NEW_PASSWORD: ALICE.password } }),
      open.authChange({ action: 'user-add', name: 'root', password: ROOT.password }),
    ]);
    expect(added.stdout).toContain('Added user "alice"');
    expect(added.stdout + added.stderr).not.toContain(ALICE.password);
    await open.authChange({ action: 'role-add', name: 'app-reader' });
    await open.authChange({ action: 'role-grant', name: 'app-reader', permission: 'read', key: 'app/', prefix: true });
    await open.authChange({ action: 'user-grant-role', name: 'alice', role: 'app-reader' });
    await open.put('app/x', 'v1');
    expect(await open.authChange({ action: 'enable' })).toEqual({ enabled: true });
  });

  it('refuses a call without a credential and a wrong password with UNAUTHENTICATED', async () => {
    const none = await failure(() => client().put('app/y', 'v'));
    expect(none.code).toBe('UNAUTHENTICATED');
    expect(none.message).toContain('no token or client certificate');
    const wrong = await failure(() => client({ user: 'alice', password: 'nope' }).get('app/x'));
    expect(wrong.code).toBe('UNAUTHENTICATED');
    expect(wrong.message).toContain('wrong user name or password');
  });

  it('lets alice read app/ only, naming the missing permission otherwise', async () => {
    const alice = client(ALICE);
    expect(Buffer.from((await alice.get('app/x'))?.value ?? []).toString()).toBe('v1');
    const write = await failure(() => alice.put('app/x', 'v2'));
    expect(write.code).toBe('PERMISSION_DENIED');
    expect(write.message).toContain('user "alice" has no write permission on key "app/x"');
    const other = await failure(() => alice.get('other/x'));
    expect(other.message).toContain('no read permission on key "other/x"');
  });

  it('keeps member, leader, snapshot and auth operations for root', async () => {
    const alice = client(ALICE);
    const c = cluster();
    const denied = await Promise.all([
      failure(() => alice.memberRemove(3)),
      failure(() => alice.leaderTransfer(2)),
      failure(async () => {
        for await (const chunk of alice.snapshotSave()) void chunk;
      }),
      failure(() => alice.authChange({ action: 'disable' })),
    ]);
    for (const error of denied) expect(error.message).toMatch(/user "alice" lacks role "root"/);
    const endpoints = c.ids().map((id) => c.address(id));
    const [cli, status] = await Promise.all([
      kvctl(['--user', 'alice', 'user', 'list'], { endpoints, env: { KVCTL_PASSWORD: ALICE.password } }),
      kvctl(['--user', 'root', 'auth', 'status'], { endpoints, env: { KVCTL_PASSWORD: ROOT.password } }),
    ]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('permission denied');
    expect(status.stdout).toContain('Authentication enabled; this call ran as root (by token)');
    const users = (await client(ROOT).authList()).users.map((u) => u.name).sort();
    expect(users).toEqual(['alice', 'root']);
  });

  it('honours a token minted before the leader was killed, at the new leader and after a full restart', async () => {
    const c = cluster();
    const leader = await c.waitForLeader();
    const minted = await c.stub(leader).callCluster('Authenticate', ROOT, { deadlineMs: 10_000 });
    const token = String(minted['token']);
    await c.kill(leader, 'SIGKILL');
    const next = await c.waitForLeader({ not: leader });
    const stub = new KvStub(c.address(next), {}, new TokenAuth({ token }, () => Promise.reject(new Error('no login with a fixed token'))));
    try {
      await stub.call('Put', { key: Buffer.from('other/after-kill'), value: Buffer.from('1') }, { deadlineMs: 10_000 });
    } finally {
      stub.close();
    }
    await Promise.all(c.followersOf(next).map((id) => c.kill(id, 'SIGTERM')));
    await c.kill(next, 'SIGTERM');
    await Promise.all(c.ids().map((id) => c.restart(id)));
    await c.waitForLeader();
    const withToken = client({ token });
    expect(Buffer.from((await withToken.get('other/after-kill'))?.value ?? []).toString()).toBe('1');
    expect((await failure(() => client(ALICE).put('app/x', 'v3'))).code).toBe('PERMISSION_DENIED');
  });

  it('opens the cluster again after auth disable', async () => {
    await client(ROOT).authChange({ action: 'disable' });
    const open = client();
    // The change returns once the leader applied it; a follower may apply it a moment later.
    await pollUntil('open access on every node', 10_000, () => open.put('other/open', 'yes').then(() => true, () => undefined));
    expect((await open.authStatus()).enabled).toBe(false);
    for (const c of clients.splice(0)) c.close();
  });
});
