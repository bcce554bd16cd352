// Membership faults on a live cluster: remove a node (then stop it and wipe its data, since a
// removed node must never come back with its old log), and add it back the safe way: start it
// empty with --join, MemberAdd as a learner, wait until it has caught up, then MemberPromote.
// Every step goes to the current leader and is retried, within a bound, while the answer says the
// change was certainly not made (NOT_LEADER, NO_LEADER, another change in flight). An unknown
// outcome (a timeout) is settled by reading the membership back. `reconcile()` runs after the
// final heal and brings every node back as a running voter, whatever the faults left behind.
import type { NodeId } from '../../../src/shared/ids.js';
import { pollUntil, sleep } from '../../support/poll.js';
import type { ClusterMethod } from '../../../src/client/kv-stub.js';
import type { FullStatus, JepsenCluster } from './jepsen-cluster.js';

const stepTimeoutMs = 10_000;
/**
 * A removal gives up sooner: the nemesis runner waits for each step, so a removal stuck behind a
 * partition would stretch every other active fault. A skipped removal just means one fault less.
 */
const removeTimeoutMs = 4_000;
const callDeadlineMs = 3_000;
const retryPauseMs = 200;
/**
 * A learner catching up under write load may need several snapshots (the log is compacted every
 * --snapshot-entries); the cluster lane waits for it, no other lane does.
 */
const catchUpTimeoutMs = 30_000;
/** A learner counts as caught up within this many entries of the leader's commit index. */
const catchUpSlack = 50;

type Membership = 'voter' | 'learner' | 'absent';

function membershipIn(status: FullStatus, node: NodeId): Membership {
  const member = status.members.find((m) => m.node === node);
  return member === undefined ? 'absent' : member.isLearner ? 'learner' : 'voter';
}

/** The leader's status (its applied membership), waiting for a leader within the bound. */
async function leaderStatus(cluster: JepsenCluster, timeoutMs = stepTimeoutMs): Promise<FullStatus> {
  return pollUntil('a leader to report the membership', timeoutMs, async () => {
    const leader = await cluster.leaderOf();
    return leader === undefined ? undefined : cluster.status(leader);
  }, retryPauseMs);
}

/**
 * Calls `method` on the leader until it succeeds or `done()` says the change is in effect. A
 * refusal is retried; an unknown outcome is settled by `done()` on the next round, so a change that
 * did apply is never sent twice.
 */
async function changeOnLeader(cluster: JepsenCluster, method: ClusterMethod, request: Record<string, unknown>, done: (s: FullStatus) => boolean,
  timeoutMs = stepTimeoutMs): Promise<void> {
  const endAt = performance.now() + timeoutMs;
  let lastError: unknown;
  while (performance.now() < endAt) {
    const status = await leaderStatus(cluster, Math.max(1, endAt - performance.now())).catch((error: unknown) => {
      lastError = error;
      return undefined;
    });
    if (status !== undefined && done(status)) return;
    if (status !== undefined) {
      try {
        await cluster.clusterCall(status.nodeId as NodeId, method, request, callDeadlineMs);
        return;
      } catch (error) {
        // Refused, or outcome unknown: either way the next round reads the membership back first.
        lastError = error;
      }
    }
    await sleep(retryPauseMs);
  }
  throw new Error(`Cannot ${method} ${JSON.stringify(request)} within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Removes `node` from the group, then stops it and wipes its data. */
export async function removeMember(cluster: JepsenCluster, node: NodeId): Promise<void> {
  // One node out at a time: first bring back a node whose earlier add-back failed (a partition
  // can starve it), so the cluster never drops below n - 1 voters.
  await repairMembers(cluster, (await leaderStatus(cluster, removeTimeoutMs)).members);
  await changeOnLeader(cluster, 'MemberRemove', { nodeId: String(node) }, (s) => membershipIn(s, node) === 'absent', removeTimeoutMs);
  await cluster.retire(node);
}

/** Promotes learners and re-adds absent nodes among `members` (the leader's view). */
async function repairMembers(cluster: JepsenCluster, members: FullStatus['members']): Promise<string[]> {
  const fixes: string[] = [];
  for (const node of cluster.nodes) {
    const member = members.find((m) => m.node === node);
    if (member?.isLearner === false && !cluster.isRemoved(node)) continue;
    if (member?.isLearner === true) {
      fixes.push(`promoted learner ${node}`);
      await changeOnLeader(cluster, 'MemberPromote', { nodeId: String(node) }, (s) => membershipIn(s, node) === 'voter');
      continue;
    }
    if (member !== undefined) throw new Error(`Node ${node} is a voter but its data was wiped; cannot repair safely`);
    fixes.push(`re-added absent node ${node}`);
    if (!cluster.isRemoved(node)) await cluster.retire(node);
    await addMember(cluster, node);
  }
  return fixes;
}

/** Brings a removed node back: empty start with --join, add as learner, catch up, promote. */
export async function addMember(cluster: JepsenCluster, node: NodeId): Promise<void> {
  await cluster.startJoiner(node);
  const address = cluster.net.memberAddress(node);
  await changeOnLeader(cluster, 'MemberAdd', { nodeId: String(node), address, voter: false }, (s) => membershipIn(s, node) !== 'absent');
  await pollUntil(`node ${node} to catch up as a learner`, catchUpTimeoutMs, async () => {
    const [leader, own] = await Promise.all([leaderStatus(cluster), cluster.status(node)]);
    return own.appliedIndex + catchUpSlack >= leader.commitIndex ? true : undefined;
  }, retryPauseMs);
  await changeOnLeader(cluster, 'MemberPromote', { nodeId: String(node) }, (s) => membershipIn(s, node) === 'voter');
}

/** After the final heal: every node running, every node a voter. Returns what it had to fix. */
export async function reconcile(cluster: JepsenCluster): Promise<string[]> {
  await cluster.resumeAll();
  return repairMembers(cluster, (await leaderStatus(cluster, 30_000)).members);
}
