/**
 * Carries out the shard map on the groups this node leads: every interval, each led group takes
 * one membership step toward the replica set the map wants (src/shard/reconcile.ts: add learner,
 * catch up, promote, remove). The meta group itself is reconciled the same way, wanting every
 * node of the map as a member (so every node reads the map locally) and a fixed number of voters,
 * none of them decommissioning. Each step is logged ('replica move step').
 */
import type { GroupId, NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { ConfState } from '../raft/types.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import { META_GROUP } from '../shard/placement.js';
import { nextReconcileStep, type ReconcileStep } from '../shard/reconcile.js';
import type { ShardMap } from '../shard/shard-map.js';
import type { MetaMap } from './meta-map.js';
import { encodeKvCommand } from '../storage/kv-command-codec.js';

export const MOVE_INTERVAL_MS = 250;
/** Voters of the meta group, as long as there are that many active nodes. */
const META_VOTERS = 3;

export class ReplicaMover {
  constructor(
    private readonly self: NodeId,
    private readonly host: NodeHost,
    private readonly maps: MetaMap,
    private readonly log: Logger,
  ) {}

  stepAll(): void {
    const map = this.maps.current();
    if (map === null) return;
    for (const driver of this.host.allGroups()) {
      if (driver.core.role !== 'leader' || driver.installing) continue;
      const want = driver.group === META_GROUP ? metaWant(map, driver.core.status().conf) : dataWant(map, driver.group);
      if (want !== null) this.stepGroup(driver, map, want);
      if (driver.group !== META_GROUP) this.splitIfMapSays(driver, map);
    }
  }

  private stepGroup(driver: GroupDriver, map: ShardMap, want: Want): void {
    const status = driver.core.status();
    const step = nextReconcileStep({
      self: this.self, conf: status.conf, ...want, commit: status.commit,
      matchOf: (n) => (n === this.self ? status.lastIndex : status.progress.get(n)?.match ?? 0),
      addressOf: (n) => map.nodes.get(n)?.address,
    });
    if (step === null) return;
    if (this.take(driver, step)) {
      this.log.info({ group: driver.group, term: status.term, step: describe(step), epoch: map.epoch }, 'replica move step');
      this.host.schedule();
    }
  }

  /**
   * The map cut this group's range short (a Split call): propose the split entry that carves the
   * upper part out as the group the map gives it to. A duplicate proposal applies as a no-op.
   */
  private splitIfMapSays(driver: GroupDriver, map: ShardMap): void {
    const owned = driver.storage.kv.descriptor();
    const mapped = map.ring.ranges.find((r) => r.group === driver.group);
    if (owned === null || mapped === undefined || mapped.start !== owned.start || mapped.end >= owned.end) return;
    const child = map.ring.rangeAt(mapped.end).group;
    const proposed = driver.core.propose(encodeKvCommand({ type: 'split', child, mid: mapped.end, timeMs: Date.now() }));
    if (!proposed.ok) return;
    this.log.info({ group: driver.group, child, mid: mapped.end, index: proposed.value.index, epoch: map.epoch }, 'proposing split');
    this.host.schedule();
  }

  private take(driver: GroupDriver, step: ReconcileStep): boolean {
    // A refusal (a change already pending, leadership lost) is retried on the next interval.
    if (step.kind === 'transfer') return driver.core.transferLeadership(step.to).ok;
    return driver.core.proposeConfChange(step.change).ok;
  }
}

interface Want {
  readonly wantVoters: readonly NodeId[];
  readonly wantLearners: readonly NodeId[];
}

function dataWant(map: ShardMap, group: GroupId): Want | null {
  const placement = map.placements.get(group);
  return placement === undefined ? null : { wantVoters: placement.replicas, wantLearners: [] };
}

/** Keep the current voters that are active, topped up from the active nodes; everyone else learns. */
export function metaWant(map: ShardMap, conf: ConfState): Want | null {
  if (map.nodes.size === 0) return null;
  const active = [...map.nodes].filter(([, n]) => n.state === 'active').map(([id]) => id).sort((a, b) => a - b);
  const size = Math.min(Math.max(META_VOTERS, conf.voters.length), active.length);
  const voters = conf.voters.filter((n) => active.includes(n)).slice(0, size);
  for (const n of [...conf.learners, ...active]) if (voters.length < size && active.includes(n) && !voters.includes(n)) voters.push(n);
  const learners = [...map.nodes.keys()].filter((n) => !voters.includes(n));
  return { wantVoters: voters, wantLearners: learners };
}

function describe(step: ReconcileStep): string {
  return step.kind === 'transfer' ? `transfer leadership to ${step.to}` : `${step.change.type} ${step.change.node}`;
}
