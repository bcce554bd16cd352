/**
 * The consistency check's report of one node (Cluster.GroupHashes): per hosted group, its recent
 * state hashes and the replica's health. Decoded here for `kvctl check hash` and for the nodes'
 * own checkers, which compare their hashes with their peers' (src/server/consistency-checker.ts).
 */
import { KvStub, type Message } from './kv-stub.js';
import { listField, stringField, u64 } from './wire.js';

/**
 * @example
 * ```ts
 * const report = decodeGroupHashes(await stub.callCluster('GroupHashes', {}, { deadlineMs: 2_000 }));
 * for (const g of report.groups) console.log(g.group, g.health, g.hashes.at(-1)?.hash);
 * ```
 */
export interface NodeHashes {
  readonly nodeId: number;
  readonly groups: readonly GroupHashReport[];
}

export type ReplicaHealthName = 'ok' | 'unverified' | 'corrupt';

export interface GroupHashReport {
  readonly group: number;
  /** Oldest first: the state hashed at each hashCheck entry the replica applied. */
  readonly hashes: readonly { readonly index: number; readonly hash: string }[];
  readonly health: ReplicaHealthName;
  readonly reason: string;
  readonly appliedIndex: number;
  readonly members: readonly number[];
  /** 0 when unknown. */
  readonly leaderId: number;
}

function health(text: string): ReplicaHealthName {
  return text === 'ok' || text === 'unverified' ? text : 'corrupt';
}

export function decodeGroupHashes(message: Message): NodeHashes {
  return {
    nodeId: u64(message, 'nodeId'),
    groups: listField(message, 'groups').map((g) => ({
      group: u64(g, 'groupId'),
      hashes: listField(g, 'hashes').map((h) => ({ index: u64(h, 'index'), hash: stringField(h, 'hash') })),
      health: health(stringField(g, 'health')),
      reason: stringField(g, 'reason'),
      appliedIndex: u64(g, 'appliedIndex'),
      members: listField(g, 'members').map((m) => u64({ member: m }, 'member')),
      leaderId: u64(g, 'leaderId'),
    })),
  };
}

/** Asks one node for its report; the stub is closed after. */
export async function fetchGroupHashes(address: string, deadlineMs: number): Promise<NodeHashes> {
  const stub = new KvStub(address);
  try {
    return decodeGroupHashes(await stub.callCluster('GroupHashes', {}, { deadlineMs }));
  } finally {
    stub.close();
  }
}
