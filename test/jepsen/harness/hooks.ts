// NemesisHooks (../nemesis/runner.ts) for a JepsenCluster: network faults go to the backend,
// process faults to the cluster, membership to membership.ts, and leader transfers to the
// Cluster service of the current leader (KvStub.callCluster).
import type { NodeId } from '../../../src/shared/ids.js';
import type { NemesisHooks } from '../nemesis/runner.js';
import type { JepsenCluster } from './jepsen-cluster.js';
import { addMember, removeMember } from './membership.js';

const transferDeadlineMs = 2_000;

export function clusterHooks(cluster: JepsenCluster): NemesisHooks {
  return {
    network: cluster.net.faults,
    leaderOf: () => cluster.leaderOf(),
    crash: (node) => cluster.crash(node),
    restart: (node) => cluster.restart(node),
    pause: (node) => cluster.pause(node),
    resume: (node) => cluster.resume(node),
    removeMember: (node) => removeMember(cluster, node),
    addMember: (node) => addMember(cluster, node),
    transferLeader: async (to: NodeId) => {
      const leader = await cluster.leaderOf();
      if (leader === undefined || leader === to) return;
      await cluster.clusterCall(leader, 'LeaderTransfer', { targetNodeId: String(to) }, transferDeadlineMs);
    },
  };
}
