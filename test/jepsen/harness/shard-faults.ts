// Faults that need the shard map of a sharded cluster (see ../README.md, "Sharded clusters"):
// - "the leader" of a leader-aware fault (isolate-leader, kill or pause of the leader) is the meta
//   group's leader half of the time, else the leader of a random data group, so both the shard
//   map's keeper and the data path get hit; the log's `detail` names the group;
// - a leader transfer (transfer-storm) moves the leadership of a random group that the chosen
//   node hosts, the meta group included, to that node;
// - `move`: Cluster.ReplicaMove of one replica of a data group to a node without one;
// - `split`: Cluster.Split of a data group.
// Shard map changes go to the meta group's leader; a refusal that proves nothing changed is tried
// again (NOT_LEADER at its hint), a bounded number of times. A server without the calls answers UNIMPLEMENTED: the step fails with
// that in its message and the run goes on (the runner logs it as a failed step).
import { KvError } from '../../../src/shared/errors.js';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import type { ClusterMethod, Message } from '../../../src/client/kv-stub.js';
import type { Rng } from '../../../src/shared/rng.js';
import { field, num } from '../../support/kv-wire.js';
import { sleep } from '../../support/poll.js';
import type { JepsenCluster } from './jepsen-cluster.js';
import { refusalOf } from './refusal.js';
import { dataGroups, fetchShardMap, META_GROUP, type ShardMapView } from './shard-map.js';

const mapDeadlineMs = 1_000;
const transferDeadlineMs = 2_000;
/** A shard map change returns once committed in the meta group; the move itself runs later. */
const changeDeadlineMs = 5_000;
const changeAttemptsMax = 8;
const retryPauseMs = 250;
/** gRPC status UNIMPLEMENTED: the server predates the call. */
const grpcUnimplemented = 12;

export interface MoveCandidate {
  readonly group: number;
  readonly from: NodeId;
  readonly to: NodeId;
}

/** Every (group, replica, node without a replica) of the map, in a stable order. */
export function moveCandidates(view: ShardMapView, nodes: readonly NodeId[]): MoveCandidate[] {
  const out: MoveCandidate[] = [];
  for (const group of dataGroups(view)) {
    const replicas = view.replicas.get(group) ?? [];
    const targets = [...nodes].sort((a, b) => a - b).filter((n) => !replicas.includes(n));
    for (const from of [...replicas].sort((a, b) => a - b)) for (const to of targets) out.push({ group, from, to });
  }
  return out;
}

const pickBy = <T>(items: readonly T[], choice: number): T | undefined => items[choice % Math.max(1, items.length)];

function describe(error: unknown): string {
  const grpcCode = (error as { readonly grpcCode?: number }).grpcCode;
  if (grpcCode === grpcUnimplemented) return `UNIMPLEMENTED by this server (${error instanceof Error ? error.message : String(error)})`;
  return error instanceof KvError ? `${error.code}: ${error.message}` : String(error);
}

export class ShardFaults {
  constructor(private readonly cluster: JepsenCluster, private readonly rng: Rng) {}

  map(): Promise<ShardMapView> {
    return fetchShardMap(this.cluster, mapDeadlineMs);
  }

  /** The meta group's leader (half the draws) or a random data group's leader. */
  async leaderTarget(): Promise<{ node: NodeId; detail: string } | undefined> {
    if (this.rng.nextInt(2) === 0) {
      const node = await this.cluster.leaderOf(META_GROUP);
      return node === undefined ? undefined : { node, detail: 'leader of meta group 0' };
    }
    const view = await this.map();
    const groups = dataGroups(view);
    const group = groups[this.rng.nextInt(groups.length)] ?? 1;
    const node = view.leaders.get(group)?.node ?? (await this.cluster.leaderOf(group));
    return node === undefined ? undefined : { node, detail: `leader of group ${group}` };
  }

  /** Moves leadership of a random group hosted on `to` (meta included) to `to`. */
  async transferLeader(to: NodeId): Promise<void> {
    const view = await this.map();
    const hosted = [META_GROUP, ...dataGroups(view).filter((g) => view.replicas.get(g)?.includes(to) === true)];
    const group = hosted[this.rng.nextInt(hosted.length)] ?? META_GROUP;
    const leader = group === META_GROUP ? await this.cluster.leaderOf(META_GROUP) : view.leaders.get(group)?.node;
    if (leader === undefined || leader === to) return;
    await this.cluster.kvStub(leader).callCluster('LeaderTransfer', { groupId: String(group), targetNodeId: String(to) }, { deadlineMs: transferDeadlineMs });
  }

  async move(choice: number): Promise<string> {
    const view = await this.map();
    const candidate = pickBy(moveCandidates(view, this.cluster.nodes), choice);
    if (candidate === undefined) throw new Error(`Cannot move a replica: every node holds every group (epoch ${view.epoch})`);
    const { group, from, to } = candidate;
    const what = `move group ${group} replica ${from}->${to} (epoch ${view.epoch})`;
    const answer = await this.changeOnMeta('ReplicaMove', { groupId: String(group), fromNodeId: String(from), toNodeId: String(to) }, what);
    return `${what}: committed in epoch ${num(answer, 'epoch')}`;
  }

  async split(choice: number): Promise<string> {
    const view = await this.map();
    const group = pickBy(dataGroups(view), choice);
    if (group === undefined) throw new Error('Cannot split: the map has no data group');
    const what = `split group ${group} (epoch ${view.epoch})`;
    const answer = await this.changeOnMeta('Split', { groupId: String(group) }, what);
    return `${what}: upper half to group ${String(field(answer, 'newGroupId'))}, epoch ${num(answer, 'epoch')}`;
  }

  /**
   * Sends a shard map change to the meta leader. Only a refusal that proves the change was not
   * made (refusalOf: NOT_LEADER, NO_LEADER, OVERLOADED, never sent) is tried again, at the hinted
   * leader or after a pause: a change whose outcome is unknown (a timeout) is never sent twice, as
   * a second Split would split another group.
   */
  private async changeOnMeta(method: ClusterMethod, request: Message, what: string): Promise<Message> {
    let target = await this.cluster.leaderOf(META_GROUP);
    let lastError: unknown = 'no meta group leader';
    for (let attempt = 0; attempt < changeAttemptsMax; attempt++) {
      if (target === undefined) {
        await sleep(retryPauseMs);
        target = await this.cluster.leaderOf(META_GROUP);
        continue;
      }
      try {
        return await this.cluster.kvStub(target).callCluster(method, request, { deadlineMs: changeDeadlineMs });
      } catch (error) {
        lastError = error;
        if ((error as { readonly grpcCode?: number }).grpcCode === grpcUnimplemented || refusalOf(error) === undefined) break;
        const hint = error instanceof KvError && error.code === 'NOT_LEADER' ? error.details.leaderId : undefined;
        if (hint === undefined || hint === target || !this.cluster.nodes.includes(hint as NodeId)) await sleep(retryPauseMs);
        target = hint !== undefined && hint > 0 && this.cluster.nodes.includes(hint as NodeId) ? nodeId(hint) : await this.cluster.leaderOf(META_GROUP);
      }
    }
    throw new Error(`Cannot ${what}: ${describe(lastError)}`);
  }
}
