// Goal: when a disk really fills (quota off), a node stops with a clear SQLITE_FULL rather than
// running on with a state it cannot trust, and once space is back it restarts and catches up
// (issue #14 item 6). Method: node 3's data dir is a small tmpfs; the leader writes 32 KiB values
// until node 3 exits (the other two keep a quorum); then the tmpfs is grown and node 3 restarted.
// Needs root to mount a tmpfs: without it the suite is skipped with a note saying why.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, pollUntil } from './cluster.js';
import { forEachLimit, get, onLeader, putRequest, SERIALIZABLE } from './kv-helpers.js';

const VALUE = 'x'.repeat(32 * 1024);
/** The tmpfs fills after about 100 values; this bounds the loop. */
const WRITES_MAX = 1_000;
/** Filling, a crash and a catch-up on a loaded 2-core machine: generous, and not a timing assertion. */
const TEST_TIMEOUT_MS = 240_000;

function tmpfsCapability(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root to mount a small tmpfs as a full disk' };
  const probe = mkdtempSync(join(tmpdir(), 'raftkv-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return { ok: true, reason: '' };
  } catch (error) {
    return { ok: false, reason: `cannot mount a tmpfs (${(error as Error).message.split('\n')[0] ?? ''})` };
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const capability = tmpfsCapability();
if (!capability.ok) console.warn(`[disk-full] SKIPPED: ${capability.reason}`);

let cluster: Cluster | undefined;
let mountPoint: string | undefined;

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
  await cluster?.stopAll();
  cluster = undefined;
  if (mountPoint !== undefined) {
    execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
    mountPoint = undefined;
  }
});

describe.skipIf(!capability.ok)(`disk full${capability.ok ? '' : ` (SKIPPED: ${capability.reason})`}`, () => {
  it('a node whose disk fills exits with SQLITE_FULL and catches up once space is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raftkv-full-'));
    mountPoint = dir;
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    cluster = await Cluster.start({ size: 3, flags: ['--quota-bytes', '0'], nodes: { 3: { flags: ['--data-dir', dir] } } });
    const c = cluster;
    if ((await c.waitForLeader()) === 3) await c.stub(3).callCluster('LeaderTransfer', { targetNodeId: '1' }, { deadlineMs: 10_000 });
    await c.waitForLeader({ not: 3 });

    let written = 0;
    while (c.isRunning(3) && written < WRITES_MAX) {
      await onLeader(c, 'Put', putRequest(`fill/k${written}`, VALUE));
      written++;
    }
    const exit = await pollUntil('node 3 to exit on the full disk', 30_000, async () => (c.isRunning(3) ? undefined : true));
    expect(exit).toBe(true);
    expect(c.logText(3)).toContain('SQLITE_FULL');
    // The other two keep serving.
    await onLeader(c, 'Put', putRequest('after-full', 'v'));

    execFileSync('mount', ['-o', 'remount,size=256m', dir]);
    await c.restart(3);
    await forEachLimit([written - 1, 0], 2, async (i) => {
      const seen = await pollUntil(`node 3 to catch up to fill/k${i}`, 60_000, async () => (await get(c.stub(3), `fill/k${i}`, SERIALIZABLE).catch(() => null)) ?? undefined);
      expect(seen.value).toBe(VALUE);
    });
    const last = await pollUntil('node 3 to catch up past the outage', 60_000, async () => (await get(c.stub(3), 'after-full', SERIALIZABLE).catch(() => null)) ?? undefined);
    expect(last.value).toBe('v');
  }, TEST_TIMEOUT_MS);
});
