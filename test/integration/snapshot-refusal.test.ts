// Goal: a snapshot whose bytes are damaged on the sender's disk must not kill the follower that
// receives it (issue #14: no peer input makes a node assert). Chunks carry a sha256 of their bytes,
// which a file damaged at rest passes, so the receiver's whole-file checks are what catch it.
// Method: a real 3-node cluster snapshots every 10 entries; we stop a follower, write enough for
// the others to compact their logs past it, stop them, flip a byte in their snapshot files, and
// restart all three. It must stay up, log the refusal and answer CORRUPT for the group, while the other
// two keep serving. Before the fix it exited with "InvariantError: ... fails its sha256 check".
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KvError } from '../../src/shared/errors.js';
import { Cluster, pollUntil } from './cluster.js';
import { get, LINEARIZABLE, onLeader, putRequest } from './kv-helpers.js';

const refusalTimeoutMs = 30_000;

describe('a damaged snapshot from the leader', () => {
  let cluster: Cluster | undefined;
  const c = (): Cluster => {
    if (cluster === undefined) throw new Error('cluster did not start');
    return cluster;
  };
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
    const victim = c().followersOf(leader)[0];
    if (victim === undefined) throw new Error('no follower');
    await c().kill(victim, 'SIGTERM');
    for (let i = 0; i < 60; i++) await onLeader(c(), 'Put', putRequest(`snap/k${i}`, `value-${i}`));
    // Stop the other two as well: restarted, they serve entries from their compacted log only
    // (no recent entries in memory), so the victim must catch up by snapshot. Damage both of
    // their snapshot files at rest, whichever becomes leader.
    const healthy = c().ids().filter((id) => id !== victim);
    for (const id of healthy) await c().kill(id, 'SIGTERM');
    for (const id of healthy) flipSnapshotByte(join(c().dataDir(id), 'raftkv.db.snapshots'));
    for (const id of healthy) await c().restart(id);
    await c().restart(victim);
    await pollUntil(`node ${victim} to refuse the snapshot`, refusalTimeoutMs, () =>
      Promise.resolve(c().logText(victim).includes('refused a received snapshot') ? true : undefined));
    const refused = await get(c().stub(victim), 'snap/k1', LINEARIZABLE, 2_000).then(() => null, (error: unknown) => error);
    expect(refused instanceof KvError ? refused.code : refused).toBe('CORRUPT');
    expect(c().isRunning(victim)).toBe(true);
    expect(c().logText(victim)).not.toContain('InvariantError');

    // The group keeps serving through the other two.
    await onLeader(c(), 'Put', putRequest('snap/after', 'ok'));
    const other = healthy[0];
    if (other === undefined) throw new Error('no healthy node');
    expect((await get(c().stub(other), 'snap/k59', LINEARIZABLE))?.value).toBe('value-59');
  });
});

/** Flips one bit in the middle of the group's one produced snapshot file. */
function flipSnapshotByte(snapshotDir: string): void {
  const files = readdirSync(snapshotDir).filter((name) => /^g0-i\d+-t\d+\.snap$/.test(name));
  expect(files).toHaveLength(1);
  const path = join(snapshotDir, files[0] ?? '');
  const bytes = readFileSync(path);
  const at = Math.floor(bytes.byteLength / 2);
  bytes.writeUInt8(bytes.readUInt8(at) ^ 0x20, at);
  writeFileSync(path, bytes);
}
