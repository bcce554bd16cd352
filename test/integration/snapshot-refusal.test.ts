// Goal: a snapshot whose bytes are damaged on the sender's disk must not kill the follower that
// receives it (issue #14: no peer input makes a node assert), and the sender must repair it.
// Chunks carry a sha256 of their bytes, which a file damaged at rest passes, so the receiver's
// whole-file checks are what catch it; the sender finds it by reading its own file at open.
// Method: a real 3-node cluster snapshots every 10 entries; we stop a follower, write enough for
// the others to compact their logs past it, restart them (a running leader still holds the
// entries in memory; restarted, it must send a snapshot), flip a byte in their snapshot files once
// they have checked them, and restart the follower. It must stay up, log the refusal and answer CORRUPT for the group
// while the other two keep serving. Before the fix it exited with "InvariantError: ... fails its
// sha256 check", and again on every restart. Then the two restart: each finds its file damaged and
// replaces it; restarted again, the follower installs the good snapshot and reads every key.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/shared/errors.js';
import { Cluster, pollUntil } from './cluster.js';
import { get, LINEARIZABLE, onLeader, putRequest } from './kv-helpers.js';

const waitMs = 30_000;

describe('a snapshot file damaged on the leader', () => {
  let cluster: Cluster | undefined;
  const c = (): Cluster => {
    if (cluster === undefined) throw new Error('cluster did not start');
    return cluster;
  };
  let victim = 0;
  let healthy: number[] = [];
  beforeAll(async () => {
    cluster = await Cluster.start({ size: 3, flags: ['--snapshot-entries', '10', '--hash-check-interval-ms', '0'] });
    await cluster.waitForLeader();
  });
  afterEach((context) => {
    if (context.task.result?.state === 'fail') cluster?.markFailed();
  });
  afterAll(async () => cluster?.stopAll());

  it('is refused by the follower, which stays up and answers CORRUPT', async () => {
    const leader = await c().waitForLeader();
    victim = c().followersOf(leader)[0] ?? 0;
    healthy = c().ids().filter((id) => id !== victim);
    await c().kill(victim, 'SIGTERM');
    for (let i = 0; i < 60; i++) await onLeader(c(), 'Put', putRequest(`snap/k${i}`, `value-${i}`));
    // Both others must hold the snapshot at index 61 (bootstrap, the first leader's empty entry
    // and 60 puts make 62 entries) before they stop: one at 51 would snapshot again at restart,
    // and a file damaged before it checked it at open would be replaced (the second test).
    await pollUntil('both to snapshot index 61', waitMs, () => {
      const names = healthy.map((id) => snapshotFiles(c().dataDir(id)).join());
      return Promise.resolve(names.every((n) => /^g0-i61-t\d+\.snap$/.test(n)) ? true : undefined);
    });
    for (const id of healthy) await c().kill(id, 'SIGTERM');
    for (const id of healthy) await c().restart(id);
    for (const id of healthy) await waitForLog(c(), id, 'own snapshot file passed its checks');
    for (const id of healthy) flipSnapshotByte(c().dataDir(id));
    await c().restart(victim);
    await waitForLog(c(), victim, 'refused a received snapshot');
    const refused = await get(c().stub(victim), 'snap/k1', LINEARIZABLE, 2_000).then(() => null, (error: unknown) => error);
    expect(refused instanceof KvError ? refused.code : refused).toBe('CORRUPT');
    expect(c().isRunning(victim)).toBe(true);
    expect(c().logText(victim)).not.toContain('InvariantError');

    // The group keeps serving through the other two.
    await onLeader(c(), 'Put', putRequest('snap/after', 'ok'));
    expect((await get(c().stub(healthy[0] ?? 0), 'snap/k59', LINEARIZABLE))?.value).toBe('value-59');
  });

  it('is replaced by its node at the next start, and the follower then catches up', async () => {
    for (const id of healthy) await c().kill(id, 'SIGTERM');
    for (const id of healthy) await c().restart(id);
    for (const id of healthy) await waitForLog(c(), id, 'replaced the damaged snapshot file');
    await c().kill(victim, 'SIGTERM');
    await c().restart(victim);
    await pollUntil(`node ${victim} to serve the group again`, waitMs, async () =>
      (await get(c().stub(victim), 'snap/k59', LINEARIZABLE, 2_000).catch(() => undefined))?.value === 'value-59' ? true : undefined);
    expect((await get(c().stub(victim), 'snap/after', LINEARIZABLE))?.value).toBe('ok');
  });
});

function waitForLog(cluster: Cluster, id: number, text: string): Promise<true> {
  return pollUntil(`node ${id} to log "${text}"`, waitMs, () => Promise.resolve(cluster.logText(id).includes(text) ? true : undefined));
}

function snapshotFiles(dataDir: string): string[] {
  return readdirSync(join(dataDir, 'raftkv.db.snapshots')).filter((name) => /^g0-i\d+-t\d+\.snap$/.test(name));
}

/** Flips one bit in the middle of the group's one produced snapshot file. */
function flipSnapshotByte(dataDir: string): void {
  const files = snapshotFiles(dataDir);
  expect(files).toHaveLength(1);
  const path = join(dataDir, 'raftkv.db.snapshots', files[0] ?? '');
  const bytes = readFileSync(path);
  const at = Math.floor(bytes.byteLength / 2);
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x20, at);
  writeFileSync(path, bytes);
}
