// The byte-flip nemesis on a JepsenCluster (unsharded): corrupt a killed node's database below
// SQLite's notice (a flipped value bit) or visibly (a broken page header), then bring it back.
// The server must either refuse to start, naming the file, or start unverified, find its state
// hash outvoted and raise CORRUPT, never serving the bad value linearizably. Either way the node
// is then rebuilt the way an operator would: removed, wiped, and added back empty, so it is caught
// up by snapshot from a healthy replica. Runs of it stay linearizable with no lost acknowledged
// write; the run log says what each fault did.
import { join } from 'node:path';
import { decodeGroupHashes } from '../../../src/client/group-hashes.js';
import type { NodeId } from '../../../src/shared/ids.js';
import { breakKvPageHeader, flipValueByte, pickStoredRow } from '../../support/byte-flip.js';
import { pollUntil } from '../../support/poll.js';
import type { JepsenCluster } from './jepsen-cluster.js';
import { addMember, removeMember } from './membership.js';

/** How long a restarted node may stay unverified before the nemesis leaves it be (it checks every second). */
const verdictTimeoutMs = 20_000;
const callDeadlineMs = 1_000;
const removeAttemptsMax = 5;

export async function flipBytes(cluster: JepsenCluster, node: NodeId, choice: number): Promise<string> {
  const dbPath = join(cluster.dataDir(node), 'raftkv.db');
  if (choice % 4 === 0) return `broke the header of kv page ${breakKvPageHeader(dbPath, (count) => choice % count)}`;
  const row = pickStoredRow(dbPath, (count) => choice % count);
  if (row === null) return 'no stored value to flip';
  const flipped = flipValueByte(dbPath, row.key, row.value);
  return `flipped a value bit of key "${Buffer.from(row.key).toString('latin1').slice(0, 40)}" at offset ${flipped.offset}`;
}

/** Restarts the node; rebuilds it when it refuses to start or raises CORRUPT. Says what happened. */
export async function restartCorrupted(cluster: JepsenCluster, node: NodeId): Promise<string> {
  try {
    await cluster.restart(node);
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).split('\n').find((line) => line.includes('Cannot open the data file')) ?? 'exited';
    return `refused to start (${why.trim().slice(0, 200)}); ${await rebuild(cluster, node)}`;
  }
  const health = await pollUntil(`node ${node} to pass or fail its consistency check`, verdictTimeoutMs, async () => {
    const report = decodeGroupHashes(await cluster.clusterCall(node, 'GroupHashes', {}, callDeadlineMs));
    const own = report.groups.find((g) => g.group === 0)?.health;
    return own === undefined || own === 'unverified' ? undefined : own;
  }).catch(() => 'unverified');
  if (health !== 'corrupt') return `restarted, ${health}`;
  return `raised CORRUPT; ${await rebuild(cluster, node)}`;
}

/**
 * Remove (then wipe), add back. The removal is retried: a node's data may be wiped only once it is
 * no longer a voter, and one removal attempt gives up after a few seconds on a loaded machine.
 */
async function rebuild(cluster: JepsenCluster, node: NodeId): Promise<string> {
  let lastError: unknown;
  for (let attempt = 0; attempt < removeAttemptsMax; attempt++) {
    try {
      await removeMember(cluster, node);
      await addMember(cluster, node);
      return 'rebuilt';
    } catch (error) {
      lastError = error;
      // Removed and wiped, only the add-back failed: the next removal or reconcile() adds it back.
      if (cluster.isRemoved(node)) return `removed; add-back failed (${String(error).slice(0, 120)})`;
    }
  }
  throw new Error(`Cannot rebuild node ${node} after ${removeAttemptsMax} removal attempts: ${String(lastError)}`);
}
