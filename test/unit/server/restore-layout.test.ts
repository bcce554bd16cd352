// Goal: every node running `raftkv restore` with the same --peers derives the same founding
// memberships and shard map from an archive: same groups and ring, members from --peers.
import { describe, expect, it } from 'vitest';
import { groupId, nodeId } from '../../../src/shared/ids.js';
import type { BackupManifest } from '../../../src/shared/backup-archive.js';
import { peerIds, restoreLayout, savedReplicas } from '../../../src/server/restore-layout.js';

const group = (g: number, replicas: number[]): BackupManifest['groups'][number] => ({ group: g, index: 9, term: 2, offset: 8, bytes: 0, sha256: '', replicas });
const sharded: BackupManifest = {
  formatVersion: 1, savedAtMs: 0, sharded: true, epoch: 7,
  ring: [{ start: 0, end: 100, group: 1 }, { start: 100, end: 200, group: 2 }, { start: 200, end: 2 ** 48, group: 5 }],
  groups: [group(0, []), group(1, [1, 2]), group(2, [2, 3]), group(5, [3, 1])],
};
const peers = peerIds(new Map([[3, 'c:3'], [1, 'a:1'], [2, 'b:2'], [4, 'd:4']]));

describe('restoreLayout()', () => {
  it('places the meta group on the lowest five ids as voters and the rest as learners', () => {
    const six = peerIds(new Map([1, 2, 3, 4, 5, 6].map((n) => [n, `h:${n}`])));
    const meta = restoreLayout(sharded, six, 2).confs.get(groupId(0));
    expect(meta?.voters).toEqual([1, 2, 3, 4, 5]);
    expect(meta?.learners).toEqual([6]);
  });

  it('places data groups round-robin over the restore peers and writes a map of the next epoch', () => {
    const layout = restoreLayout(sharded, peers, savedReplicas(sharded));
    expect(savedReplicas(sharded)).toBe(2);
    expect([...layout.confs.keys()]).toEqual([0, 1, 2, 5]);
    expect(layout.confs.get(groupId(5))).toEqual({ voters: [3, 4], learners: [], addresses: { 3: 'c:3', 4: 'd:4' } });
    expect(layout.map).toEqual({
      epoch: 8,
      ranges: [{ start: 0, end: 100, group: 1 }, { start: 100, end: 200, group: 2 }, { start: 200, end: 2 ** 48, group: 5 }],
      groups: [{ group: 1, replicas: [1, 2] }, { group: 2, replicas: [2, 3] }, { group: 5, replicas: [3, 4] }],
      nodes: [1, 2, 3, 4].map((n) => ({ node: n, address: peers.get(nodeId(n)), state: 'active' })),
      balancerPaused: false,
    });
  });

  it('is the same whatever order the peers are listed in', () => {
    const reversed = peerIds(new Map([...peers].reverse()));
    expect(restoreLayout(sharded, reversed, 3)).toEqual(restoreLayout(sharded, peers, 3));
  });

  it('founds an unsharded group 0 on every peer, with no map', () => {
    const single: BackupManifest = { ...sharded, sharded: false, epoch: 0, ring: [], groups: [group(0, [])] };
    const layout = restoreLayout(single, peers, savedReplicas(single));
    expect(savedReplicas(single)).toBe(3);
    expect(layout.map).toBeNull();
    expect([...layout.confs]).toEqual([[0, { voters: [1, 2, 3, 4], learners: [], addresses: { 1: 'a:1', 2: 'b:2', 3: 'c:3', 4: 'd:4' } }]]);
  });
});
