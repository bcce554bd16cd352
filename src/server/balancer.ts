/**
 * The cluster-wide balancer. It runs on every node but acts only where this node leads the meta
 * group: every interval, unless the map says it is paused, it plans the next few replica moves
 * and preferred-leader changes (src/shard/balance-plan.ts) and commits them as one new shard map.
 * The group leaders then carry the moves out (replica-mover.ts). Planned moves are logged
 * ('planned replica move'), and `kvctl shard list` shows the target replicas.
 */
import type { Logger } from '../shared/logger.js';
import { planBalance } from '../shard/balance-plan.js';
import type { MetaMap } from './meta-map.js';

export const BALANCER_INTERVAL_MS = 1000;
/** Replica moves planned per interval: enough to fill a new node in seconds, few enough to keep the cluster serving. */
const MOVES_PER_ROUND = 2;

export class Balancer {
  constructor(
    private readonly maps: MetaMap,
    private readonly log: Logger,
    private readonly deadlineMs: number,
  ) {}

  async round(): Promise<void> {
    if (this.maps.metaDriver()?.core.role !== 'leader') return;
    const map = this.maps.current();
    if (map === null || map.balancerPaused || planBalance(map, MOVES_PER_ROUND) === null) return;
    try {
      await this.maps.change((current) => {
        if (current.balancerPaused) return null;
        const plan = planBalance(current, MOVES_PER_ROUND);
        for (const move of plan?.moves ?? []) this.log.info({ ...move, epoch: current.epoch + 1 }, 'planned replica move');
        for (const change of plan?.leaders ?? []) this.log.info({ ...change, epoch: current.epoch + 1 }, 'planned preferred leader');
        return plan?.map ?? null;
      }, this.deadlineMs);
    } catch (err) {
      this.log.warn({ err }, 'balancer round failed; retrying next interval');
    }
  }
}
