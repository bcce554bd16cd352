// Goal: issue #14. A member (buggy, or with stolen credentials) must not be able to make a node
// create replicas of groups at will: each one is a Raft group with its own state and ticks, so a
// stream of heartbeats naming new group ids would grow every node without bound. Method: a real
// sharded 3-node cluster with one replica per data group; a PeerForger speaks the peer protocol as
// a real member and sends heartbeats for group ids the shard map does not have, and for the data
// groups, to every node. Only a group the map places on a node may be created there (the meta
// group always), so no node may gain a replica. Before the fix every node created every group named.
import { afterAll, describe, expect, it } from 'vitest';
import { pollUntil, type Cluster } from './cluster.js';
import { useCluster } from './use-cluster.js';
import { forgedHeartbeat, PeerForger } from '../support/peer-forger.js';

const forgers: PeerForger[] = [];

const started = useCluster({ size: 3, flags: ['--groups', '2', '--replicas', '1', '--hash-check-interval-ms', '0'] });
afterAll(async () => {
  for (const forger of forgers) forger.close();
});

async function groupsOf(c: Cluster, id: number): Promise<number> {
  return Number((await c.stub(id).callCluster('NodeStats', {}, { deadlineMs: 2_000 }))['groups']);
}

describe('heartbeats for groups the shard map does not place on a node', () => {
  it('create no replica there', async () => {
    const c = started();
    const ids = c.ids();
    const before = await Promise.all(ids.map((id) => groupsOf(c, id)));
    for (const to of ids) {
      const from = ids.find((id) => id !== to) ?? 0;
      const forger = new PeerForger(c.peerAddress(to), from);
      forgers.push(forger);
      forger.sendBatch([77, 4096, 2 ** 31, 1, 2].map((group) => forgedHeartbeat({ group, from, to, term: 1 })));
    }
    for (const id of ids) {
      await pollUntil(`node ${id} to refuse the replicas`, 20_000, () => {
        if (!c.isRunning(id)) throw new Error(`node ${id} exited: ${c.logText(id).slice(-2000)}`);
        return Promise.resolve(c.logText(id).includes('refused to create a replica') ? true : undefined);
      });
    }
    // A replica, once created, stays: had one been made, the counts would show it by now.
    expect(await Promise.all(ids.map((id) => groupsOf(c, id)))).toEqual(before);
  });
});
