/**
 * The consistency check (etcd's corruption check, docs/node.md). Every round, this node:
 *   1. asks each peer that shares a group with it for its state hashes (Cluster.GroupHashes);
 *   2. judges each hosted replica against its peers' hashes at the newest index both have
 *      (hash-verdict.ts): a replica that agrees is verified, one that is outvoted raises a
 *      CORRUPT alarm and stops serving (GroupDriver.checkServing), and, if it leads, hands
 *      leadership to a replica that is fine, so the group stays available;
 *   3. as leader of a group, proposes a hashCheck entry every interval, or at once (at most every
 *      round) while a replica of the group, itself included, waits to be verified after a restart.
 * A replica restarted with state on disk starts unverified: no linearizable reads and no writes
 * until its first comparison, so a byte flipped while it was down is never served linearizably.
 */
import type { PeerStub, PeerStubFactory } from './peer-calls.js';
import { decodeGroupHashes, type GroupHashReport, type NodeHashes } from '../client/group-hashes.js';
import { nodeId, type GroupId, type NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import { encodeKvCommand } from '../storage/kv-command-codec.js';
import type { Alarms } from './alarms.js';
import { judgeHash } from './hash-verdict.js';
import { Periodic } from './periodic.js';
import type { Obj } from './rpc.js';

/** Rounds run at least this often, so a restarted replica is verified soon whatever the interval. */
export const CHECK_ROUND_MS_MAX = 1_000;
const CALL_DEADLINE_MS = 2_000;

export interface ConsistencyCheckerOptions {
  readonly self: NodeId;
  readonly host: NodeHost;
  readonly alarms: Alarms;
  /** How often each group's leader proposes a hashCheck entry. */
  readonly intervalMs: number;
  /** A node's peer address; GroupHashes is asked on the peer port (peer-calls.ts). */
  readonly addressOf: (node: NodeId) => string | undefined;
  readonly connect: PeerStubFactory;
  readonly log: Logger;
}

export class ConsistencyChecker {
  private readonly lastProposedMs = new Map<GroupId, number>();
  /** One per peer address; bounded by the peers this node has. */
  private readonly stubs = new Map<string, PeerStub>();
  private readonly periodic: Periodic;

  constructor(private readonly options: ConsistencyCheckerOptions) {
    this.periodic = new Periodic(Math.min(options.intervalMs, CHECK_ROUND_MS_MAX), () => this.round(), () => this.closeStubs());
    options.alarms.onChange(() => this.followAlarms());
  }

  /**
   * Before serving: replicas holding data must match their peers before they serve. A group that
   * never wrote a key (revision 0: a founder's bootstrap) has nothing a flipped byte could hide in.
   */
  markRestarted(): void {
    for (const driver of this.options.host.allGroups()) {
      // A CORRUPT alarm persisted before the restart holds until an operator disarms it.
      const alarm = this.options.alarms.active('CORRUPT', driver.group);
      if (alarm !== undefined) driver.health = { state: 'corrupt', reason: alarm.reason };
      else if (driver.storage.kv.revision() > 0 && hasPeers(driver)) driver.health = { state: 'unverified' };
    }
  }

  start(): void {
    this.periodic.start();
  }

  stop(): void {
    this.periodic.stop();
  }

  async round(): Promise<void> {
    const reports = await this.peerReports();
    for (const driver of this.options.host.allGroups()) {
      const peers = reports.flatMap((r) => r.groups.filter((g) => g.group === driver.group && g.members.includes(this.options.self) && r.nodeId !== this.options.self));
      this.judge(driver, peers);
      this.maybePropose(driver, peers);
      if (driver.health.state === 'corrupt' && driver.core.role === 'leader') this.handOff(driver, reports);
    }
  }

  private async peerReports(): Promise<NodeHashes[]> {
    const peers = new Set<NodeId>();
    for (const driver of this.options.host.allGroups()) {
      const conf = driver.storage.kv.confState();
      for (const node of [...conf.voters, ...conf.learners]) if (node !== this.options.self) peers.add(node);
    }
    const answers = await Promise.all([...peers].map((node) => this.fetch(node)));
    return answers.filter((a): a is NodeHashes => a !== undefined);
  }

  private async fetch(node: NodeId): Promise<NodeHashes | undefined> {
    const address = this.options.addressOf(node);
    if (address === undefined) return undefined;
    let stub = this.stubs.get(address);
    if (stub === undefined) {
      stub = this.options.connect(address);
      this.stubs.set(address, stub);
    }
    try {
      return decodeGroupHashes(await stub.call('GroupHashes', {}, CALL_DEADLINE_MS));
    } catch (err) {
      this.options.log.debug({ peer: node, err }, 'consistency check: peer did not answer');
      return undefined;
    }
  }

  /** Compares at the newest index for which this replica and at least one peer have a hash. */
  private judge(driver: GroupDriver, peers: readonly GroupHashReport[]): void {
    const conf = driver.storage.kv.confState();
    const alone = [...conf.voters, ...conf.learners].every((n) => n === this.options.self);
    if (alone) {
      if (driver.health.state === 'unverified') driver.health = { state: 'ok' };
      return;
    }
    const own = [...driver.storage.kv.hashes.list()].reverse();
    for (const mine of own) {
      const theirs = peers.flatMap((p) => p.hashes.filter((h) => h.index === mine.index).map((h) => ({ hash: h.hash, trusted: p.health === 'ok' })));
      if (theirs.length === 0) continue;
      const verdict = judgeHash({ hash: mine.hash, trusted: driver.health.state === 'ok' }, theirs);
      if (verdict === 'agree' && driver.health.state === 'unverified') {
        driver.health = { state: 'ok' };
        driver.logger.info({ index: mine.index }, 'consistency check passed');
      }
      if (verdict === 'corrupt') this.raise(driver, mine.index, theirs.filter((t) => t.hash !== mine.hash).length, theirs.length + 1);
      return;
    }
  }

  private raise(driver: GroupDriver, index: number, differing: number, reporting: number): void {
    if (driver.health.state === 'corrupt') return;
    const reason = `state hash at index ${index} differs from ${differing} of the ${reporting} replicas that hashed it`;
    driver.health = { state: 'corrupt', reason };
    this.options.alarms.raise({ kind: 'CORRUPT', group: driver.group, reason, raisedAtMs: Date.now() });
    driver.logger.error({ index, alarm: 'CORRUPT' }, 'CORRUPT: this replica\'s state differs from its peers\'; it serves nothing until rebuilt');
  }

  private maybePropose(driver: GroupDriver, peers: readonly GroupHashReport[]): void {
    if (driver.core.role !== 'leader' || driver.health.state === 'corrupt') return;
    const now = Date.now();
    const last = this.lastProposedMs.get(driver.group) ?? 0;
    const waiting = driver.health.state === 'unverified' || peers.some((p) => p.health === 'unverified');
    if (now - last < (waiting ? CHECK_ROUND_MS_MAX : this.options.intervalMs)) return;
    const proposed = driver.core.propose(encodeKvCommand({ type: 'hashCheck', timeMs: now }));
    if (!proposed.ok) return;
    this.lastProposedMs.set(driver.group, now);
    this.options.host.schedule();
  }

  /** A corrupt leader hands leadership to a replica its peers report fine. */
  private handOff(driver: GroupDriver, reports: readonly NodeHashes[]): void {
    const voters = driver.storage.kv.confState().voters;
    const target = reports.find((r) => voters.includes(nodeId(r.nodeId)) && r.groups.some((g) => g.group === driver.group && g.health === 'ok'));
    if (target === undefined) return;
    const started = driver.core.transferLeadership(nodeId(target.nodeId));
    driver.logger.warn({ peer: target.nodeId, ok: started.ok }, 'corrupt replica hands leadership over');
  }

  /** An operator disarmed a CORRUPT alarm: the replica is checked again before it serves. */
  private followAlarms(): void {
    for (const driver of this.options.host.allGroups()) {
      if (driver.health.state === 'corrupt' && this.options.alarms.active('CORRUPT', driver.group) === undefined) driver.health = { state: 'unverified' };
    }
  }

  private closeStubs(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }
}

/** This node's answer to Cluster.GroupHashes. */
export function groupHashesReply(self: NodeId, host: NodeHost): Obj {
  return {
    nodeId: String(self),
    groups: [...host.allGroups()].map((driver) => {
      const conf = driver.storage.kv.confState();
      const health = driver.health;
      return {
        groupId: String(driver.group),
        hashes: driver.storage.kv.hashes.list().map((h) => ({ index: String(h.index), hash: h.hash })),
        health: health.state,
        reason: health.state === 'corrupt' ? health.reason : '',
        appliedIndex: String(driver.storage.kv.appliedIndex()),
        members: [...conf.voters, ...conf.learners].map(String),
        leaderId: String(driver.core.status().leader ?? 0),
      };
    }),
  };
}

/** A replica with no other member has nothing to compare with: it is verified from the start. */
function hasPeers(driver: GroupDriver): boolean {
  const conf = driver.storage.kv.confState();
  return conf.voters.length + conf.learners.length > 1;
}
