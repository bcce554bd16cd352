/**
 * Deletes replicas this node no longer belongs to. A replica removed from its group is not told
 * (the leader stops talking to it), so for each hosted data group the shard map no longer places
 * here, this node asks a node the map does place it on for the group's membership. Only when that
 * replica has applied at least as far as our log reaches (not just our applied index) and does not
 * list us is our copy useless: every entry we hold is committed and, by then, outside any
 * configuration that counts us, so no quorum can need it (single-server changes keep committed
 * entries on every later majority). A stale answer, or a re-add we have entries of, keeps the
 * replica. Each deletion is logged ('removed replica').
 */
import { KvStub } from '../client/kv-stub.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { NodeStorage } from '../storage/node-storage.js';
import { META_GROUP } from '../shard/placement.js';
import type { MetaMap } from './meta-map.js';

export const GC_INTERVAL_MS = 2000;
const ASK_DEADLINE_MS = 1000;

export class ReplicaGc {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly stubs = new Map<string, KvStub>();

  constructor(
    private readonly self: NodeId,
    private readonly host: NodeHost,
    private readonly storage: NodeStorage,
    private readonly maps: MetaMap,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.round(), GC_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const driver of [...this.host.allGroups()]) await this.check(driver);
    } finally {
      this.running = false;
    }
  }

  private async check(driver: GroupDriver): Promise<void> {
    const map = this.maps.current();
    const placement = map?.placements.get(driver.group);
    if (map === null || placement === undefined || driver.group === META_GROUP || placement.replicas.includes(this.self)) return;
    for (const node of placement.replicas) {
      const address = map.nodes.get(node)?.address;
      if (address === undefined) continue;
      const answer = await this.ask(address, driver.group);
      if (answer === null) continue;
      const held = driver.core.status().lastIndex;
      if (answer.applied >= held && !answer.members.includes(this.self)) this.destroy(driver, node, answer.applied);
      return;
    }
  }

  private async ask(address: string, group: GroupId): Promise<{ members: number[]; applied: number } | null> {
    let stub = this.stubs.get(address);
    if (stub === undefined) this.stubs.set(address, (stub = new KvStub(address)));
    try {
      const reply = await stub.callCluster('MemberList', { groupId: String(group) }, { deadlineMs: ASK_DEADLINE_MS });
      const members = (reply['members'] as { nodeId: string }[] | undefined) ?? [];
      return { members: members.map((m) => Number(m.nodeId)), applied: Number(reply['appliedIndex'] ?? 0) };
    } catch {
      return null; // That node is down or does not host the group yet: ask again next round.
    }
  }

  private destroy(driver: GroupDriver, askedNode: NodeId, theirApplied: number): void {
    if (driver.installing || driver.producing) return;
    this.host.removeGroup(driver.group);
    this.storage.destroyGroup(driver.group);
    this.log.info({ group: driver.group, peer: askedNode, index: driver.core.status().lastIndex, theirApplied }, 'removed replica');
  }
}
