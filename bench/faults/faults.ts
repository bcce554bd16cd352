/**
 * The fault schedules of the benchmark, each injected once into a running cluster and healed after
 * a fixed time. Partitions are real (iptables inside the namespaces, through the fault tests'
 * NetworkNemesis) and cut links between servers only: the generators keep reaching every member,
 * as clients in another rack would. Process faults are kill -9 and SIGSTOP.
 */
import { nodeId, type NodeId } from '../../src/shared/ids.js';
import type { BenchNetwork } from '../targets/network.js';
import type { ServerSet } from '../targets/server-set.js';

export const faultNames = ['isolate-leader', 'partition-minority', 'partition-majority', 'kill-follower', 'kill-leader', 'pause-leader'] as const;
export type FaultName = (typeof faultNames)[number];

export const faultDescriptions: Record<FaultName, string> = {
  'isolate-leader': 'the leader is cut off from every other member (both directions); healed afterwards',
  'partition-minority': 'a minority of followers is cut off from the rest; the leader keeps a majority',
  'partition-majority': 'every member is cut off from every other: no majority anywhere, writes must stop until healed',
  'kill-follower': 'one follower is killed with SIGKILL, restarted on the same data when healed',
  'kill-leader': 'the leader is killed with SIGKILL, restarted on the same data when healed',
  'pause-leader': 'the leader is frozen with SIGSTOP, resumed with SIGCONT when healed',
};

export interface FaultContext {
  readonly servers: ServerSet;
  readonly network: BenchNetwork;
  readonly leader: number;
}

export interface ActiveFault {
  /** The members the fault was aimed at. */
  readonly affected: readonly number[];
  heal(): Promise<void>;
}

export function needsPartitions(name: FaultName): boolean {
  return name === 'isolate-leader' || name === 'partition-minority' || name === 'partition-majority';
}

async function partition(context: FaultContext, groups: readonly (readonly number[])[]): Promise<ActiveFault> {
  const faults = context.network.faults;
  if (faults === undefined) throw new Error('Partition faults need --net netns (root, ip, iptables)');
  const asIds = groups.map((group) => group.map((n): NodeId => nodeId(n)));
  await faults.partition(asIds);
  return { affected: groups[0] ?? [], heal: () => faults.heal() };
}

export async function injectFault(name: FaultName, context: FaultContext): Promise<ActiveFault> {
  const { servers, leader } = context;
  const followers = servers.nodes.filter((n) => n !== leader);
  const follower = followers[0] ?? leader;
  switch (name) {
    case 'isolate-leader':
      return partition(context, [[leader], followers]);
    case 'partition-minority': {
      const minority = followers.slice(0, Math.floor((servers.nodes.length - 1) / 2));
      return partition(context, [minority, servers.nodes.filter((n) => !minority.includes(n))]);
    }
    case 'partition-majority':
      return partition(context, servers.nodes.map((n) => [n]));
    case 'kill-follower':
      await servers.crash(follower);
      return { affected: [follower], heal: () => Promise.resolve(servers.restart(follower)) };
    case 'kill-leader':
      await servers.crash(leader);
      return { affected: [leader], heal: () => Promise.resolve(servers.restart(leader)) };
    case 'pause-leader':
      servers.pause(leader);
      return { affected: [leader], heal: () => Promise.resolve(servers.resume(leader)) };
  }
}
