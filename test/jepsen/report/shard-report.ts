// What a sharded run left behind, read after the final reads: the shard map's epoch and groups,
// how often the clients refreshed the map, and the groups whose Raft membership (as their leader
// applied it) differs from the replicas the map names, or that no live node leads. Moves and splits
// are carried out in the background, so a difference is reported, not judged: after the quiet
// period it points at a move that never finished.
import type { JepsenCluster } from '../harness/jepsen-cluster.js';
import { dataGroups, fetchShardMap } from '../harness/shard-map.js';
import { pollUntil } from '../../support/poll.js';

export interface ShardReport {
  readonly epoch: number;
  readonly groups: number;
  readonly mapRefreshes: number;
  /** "group 7: map 1,2,5, members 1,2,4,5" or "group 9: no leader for 3000 ms". */
  readonly unsettled: readonly string[];
}

const deadlineMs = 1_000;
/** An election in progress is not a finding; a group without a leader for this long is. */
const leaderWaitMs = 3_000;

export async function shardReport(cluster: JepsenCluster, mapRefreshes: number): Promise<ShardReport> {
  const view = await fetchShardMap(cluster, deadlineMs);
  const groups = dataGroups(view);
  const unsettled: string[] = [];
  await Promise.all(groups.map(async (group) => {
    const leader = await pollUntil(`a leader of group ${group}`, leaderWaitMs, () => cluster.leaderOf(group), 200).catch(() => undefined);
    if (leader === undefined) {
      unsettled.push(`group ${group}: no leader for ${leaderWaitMs} ms`);
      return;
    }
    const status = await cluster.status(leader, deadlineMs, group).catch(() => undefined);
    const members = (status?.members ?? []).map((m) => `${m.node}${m.isLearner ? 'L' : ''}`).sort().join(',');
    const replicas = [...(view.replicas.get(group) ?? [])].map(String).sort().join(',');
    if (members !== replicas) unsettled.push(`group ${group}: map ${replicas}, members ${members || '?'}`);
  }));
  unsettled.sort((a, b) => Number(a.split(/[ :]/)[1]) - Number(b.split(/[ :]/)[1]));
  return { epoch: view.epoch, groups: groups.length, mapRefreshes, unsettled };
}
