// NemesisHooks (../nemesis/runner.ts) for a JepsenCluster: network faults go to the backend,
// process faults to the cluster, membership to membership.ts, and leader transfers to the
// Cluster service of the current leader (KvStub.callCluster). On a sharded cluster, `shard`
// (shard-faults.ts) chooses whose leader a leader-aware fault hits, which group a transfer moves,
// and carries out the move and split faults; the membership hooks are never called there
// (run-options.ts refuses the membership nemesis on a sharded cluster).
import type { NodeId } from '../../../src/shared/ids.js';
import type { Forgery } from '../nemesis/forge.js';
import type { NemesisHooks } from '../nemesis/runner.js';
import type { JepsenCluster } from './jepsen-cluster.js';
import { addMember, removeMember } from './membership.js';
import { flipBytes, restartCorrupted } from './byte-flip.js';
import type { ShardFaults } from './shard-faults.js';

const transferDeadlineMs = 2_000;
const forgeStatusDeadlineMs = 300;

/** One forged batch (forge.ts) to `to` as member `as`, aimed at its current term and commit. */
async function forgeOnce(cluster: JepsenCluster, forgery: Forgery, to: NodeId, as: NodeId, seed: number): Promise<string> {
  const status = await cluster.status(to, forgeStatusDeadlineMs).catch(() => undefined);
  const groups = Array.from({ length: (cluster.settings.groups ?? 0) + 1 }, (_, i) => i);
  return forgery.send({ to, as, groups, term: status?.term ?? 1, commit: status?.commitIndex ?? 0 }, seed);
}

export function clusterHooks(cluster: JepsenCluster, shard?: ShardFaults, forgery?: Forgery): NemesisHooks {
  const hooks: NemesisHooks = {
    ...(forgery === undefined ? {} : { forge: (to: NodeId, as: NodeId, seed: number) => forgeOnce(cluster, forgery, to, as, seed) }),
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
