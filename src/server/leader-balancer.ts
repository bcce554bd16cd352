/**
 * Spreads leadership: every interval, for each group this node leads whose preferred leader
 * (the first replica in the shard map's placement, round-robin across nodes) is another voter
 * that is fully caught up, hand leadership to it. At most one transfer per interval per node, so
 * a flapping node cannot cause a storm. Each node only acts on groups it leads, so no
 * coordination is needed. Visible in logs ('balancing leadership').
 */
import type { NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { ShardMap } from '../shard/shard-map.js';

export const BALANCE_INTERVAL_MS = 2000;

export class LeaderBalancer {
  constructor(
    private readonly self: NodeId,
    private readonly host: NodeHost,
    private readonly maps: { current(): ShardMap | null },
    private readonly log: Logger,
  ) {}

  /** One round: starts at most one transfer. */
  balanceOnce(): void {
    const map = this.maps.current();
    if (map === null || map.balancerPaused) return;
    for (const driver of this.host.allGroups()) {
      const preferred = map.placements.get(driver.group)?.replicas[0];
      const status = driver.core.status();
      if (status.role !== 'leader' || preferred === undefined || preferred === this.self) continue;
      if (!status.conf.voters.includes(preferred)) continue;
      if (status.progress.get(preferred)?.match !== status.lastIndex) continue;
      if (!driver.core.transferLeadership(preferred).ok) continue;
      this.log.info({ group: driver.group, peer: preferred, term: status.term }, 'balancing leadership');
      this.host.schedule();
      return;
    }
  }
}
