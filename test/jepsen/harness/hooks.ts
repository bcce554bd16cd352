// NemesisHooks (../nemesis/runner.ts) for a JepsenCluster: network faults go to the backend,
// process faults to the cluster, membership to membership.ts, and leader transfers to the
// Cluster service of the current leader (KvStub.callCluster). On a sharded cluster, `shard`
// (shard-faults.ts) chooses whose leader a leader-aware fault hits, which group a transfer moves,
// and carries out the move and split faults; the membership hooks are never called there
// (run-options.ts refuses the membership nemesis on a sharded cluster).
import type { NodeId } from '../../../src/shared/ids.js';
import type { NemesisHooks } from '../nemesis/runner.js';
import type { JepsenCluster } from './jepsen-cluster.js';
import { addMember, removeMember } from './membership.js';
import { flipBytes, restartCorrupted } from './byte-flip.js';
import type { ShardFaults } from './shard-faults.js';

const transferDeadlineMs = 2_000;

export function clusterHooks(cluster: JepsenCluster, shard?: ShardFaults): NemesisHooks {
  const hooks: NemesisHooks = {
    network: cluster.net.faults,
    leaderOf: () => cluster.leaderOf(),
    crash: (node) => cluster.crash(node),
    restart: (node) => cluster.restart(node),
    pause: (node) => cluster.pause(node),
    resume: (node) => cluster.resume(node),
    flipBytes: (node, choice) => flipBytes(cluster, node, choice),
    restartCorrupted: (node) => restartCorrupted(cluster, node),
    removeMember: (node) => removeMember(cluster, node),
    addMember: (node) => addMember(cluster, node),
    transferLeader: async (to: NodeId) => {
      const leader = await cluster.leaderOf();
      if (leader === undefined || leader === to) return;
      await cluster.clusterCall(leader, 'LeaderTransfer', { targetNodeId: String(to) }, transferDeadlineMs);
    },
  };
  if (shard === undefined) return hooks;
  return {
    ...hooks,
    leaderTarget: () => shard.leaderTarget(),
    transferLeader: (to) => shard.transferLeader(to),
    moveReplica: (choice) => shard.move(choice),
    splitGroup: (choice) => shard.split(choice),
  };
}
