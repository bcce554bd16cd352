/**
 * Deletes replicas this node no longer belongs to. A replica removed from its group is not told
 * (the leader stops talking to it), so for each hosted data group the shard map no longer places
 * here, this node asks a node the map does place it on for the group's membership. Only when that
 * replica has applied at least as far as our log reaches (not just our applied index) and does not
 * list us is our copy useless: every entry we hold is committed and, by then, outside any
 * configuration that counts us, so no quorum can need it (single-server changes keep committed
 * entries on every later majority). A stale answer, or a re-add we have entries of, keeps the
 * replica. A learner caught up by a snapshot older than its own addition can be deleted by a stale
 * answer; that is safe (it never voted) and, since this node is no longer wanted in the group, its
 * leader removes the learner anyway (the multi-group simulator's finding M1; there, where nobody
 * removed it, the leader retried it forever). A voter holds its own addition, so no answer that
 * has applied past its log can leave it out unless it was removed.
 * The answer must come from an initialized replica (applied >= 1): an empty one lists no members
 * and would condemn any replica (finding M3). The deletion leaves a tombstone with the answer's
 * term and applied index (groups.ts): if the group comes back to this node, the new replica is the
 * same node id with none of the old log, so it must not vote before its log reaches that index
 * (finding M4: else a lagging voter whose configuration still counts the old replica can win).
 * Each deletion is logged ('removed replica').
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { clientAddressOf } from '../shared/member-address.js';
import { KvStub } from '../client/kv-stub.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { NodeStorage } from '../storage/node-storage.js';
import { META_GROUP } from '../shard/placement.js';
import type { MetaMap } from './meta-map.js';

export const GC_INTERVAL_MS = 2000;

interface Answer {
  readonly members: readonly number[];
  readonly applied: number;
  readonly term: number;
}
const ASK_DEADLINE_MS = 1000;

export class ReplicaGc {
  private readonly stubs = new Map<string, KvStub>();

  constructor(
    private readonly self: NodeId,
    private readonly host: NodeHost,
    private readonly storage: NodeStorage,
    private readonly maps: MetaMap,
    private readonly log: Logger,
    /** How to dial other nodes' client ports; undefined: plaintext. */
    private readonly credentials?: ChannelCredentials,
  ) {}

  /** Closes the connections to peers. */
  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  async round(): Promise<void> {
    for (const driver of [...this.host.allGroups()]) await this.check(driver);
  }

  private async check(driver: GroupDriver): Promise<void> {
    const map = this.maps.current();
    const placement = map?.placements.get(driver.group);
    if (map === null || placement === undefined || driver.group === META_GROUP || placement.replicas.includes(this.self)) return;
    for (const node of placement.replicas) {
      const record = map.nodes.get(node)?.address;
      if (record === undefined) continue;
      const answer = await this.ask(clientAddressOf(record), driver.group);
      if (answer === null) continue;
      const { lastIndex } = driver.core.status();
      // An empty replica's answer (applied 0) knows no membership at all: ask the next node.
      if (answer.applied < 1) continue;
      if (answer.applied >= lastIndex && !answer.members.includes(this.self)) this.destroy(driver, node, answer);
      return;
    }
  }

  private async ask(address: string, group: GroupId): Promise<Answer | null> {
    let stub = this.stubs.get(address);
    if (stub === undefined) this.stubs.set(address, (stub = new KvStub(address, {}, undefined, this.credentials)));
    try {
      const reply = await stub.callCluster('MemberList', { groupId: String(group) }, { deadlineMs: ASK_DEADLINE_MS });
      const members = (reply['members'] as { nodeId: string }[] | undefined) ?? [];
      const term = Number((reply['header'] as { raftTerm?: string } | undefined)?.raftTerm ?? 0);
      return { members: members.map((m) => Number(m.nodeId)), applied: Number(reply['appliedIndex'] ?? 0), term };
    } catch {
      return null; // That node is down or does not host the group yet: ask again next round.
    }
  }

  private destroy(driver: GroupDriver, askedNode: NodeId, answer: Answer): void {
    if (driver.installing || driver.producing) return;
    this.host.removeGroup(driver.group);
    // The answering replica's term, not ours: a term we inflated would lock out a legitimate leader.
    this.storage.destroyGroup(driver.group, { term: answer.term, applied: answer.applied });
    this.log.info({ group: driver.group, peer: askedNode, index: driver.core.status().lastIndex, theirApplied: answer.applied, term: answer.term }, 'removed replica');
  }
}
