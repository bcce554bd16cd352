/**
 * Which client writes a node admits while space is short. A write that adds data (a put, a batch
 * put, a txn with a put in either branch, so also compare-and-swap) is refused with NOSPACE when
 * any replica of its group is out of space: this node (its NOSPACE alarm, or the quota check this
 * write would trip) or another member of the group whose NOSPACE alarm this node has learned
 * (peer-alarms.ts). Any replica, as etcd refuses on any member's alarm: the entry would be appended
 * on every replica's disk. Reads and writes that only remove data (deletes, txns that only delete
 * or read) are always admitted, so an operator can make room.
 *
 * Not client writes, and so never refused here: Raft's own entries (a new leader's empty entry,
 * membership changes) and shard-map changes (joins, moves, splits, decommissions), all small, and
 * exactly what moves replicas off a full node so the cluster can recover. Sessions have no write
 * of their own (a session starts with its first write), so there is nothing to allow for them; a
 * retry of a session write that already applied is refused like a new one, which the SDK reports
 * as an unknown outcome since an earlier attempt may have applied.
 */
import { KvError } from '../shared/errors.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { KvCommandBody, TxnOp } from '../storage/kv-command.js';
import type { Alarm, Alarms } from './alarms.js';

/** The NOSPACE alarm of another node, as this node last learned it; undefined if none. */
export type PeerAlarmOf = (node: NodeId) => Alarm | undefined;

/** The part of SpaceQuota admission needs (space-quota.ts). */
export interface QuotaCheck {
  admit(costBytes: number): Alarm | undefined;
  usedBytes(): number;
}

export interface WriteAdmissionOptions {
  readonly self: NodeId;
  readonly alarms: Alarms;
  readonly quota: QuotaCheck;
  readonly peerAlarm: PeerAlarmOf;
}

/** Bytes a write would add (keys and values it puts), or 0 if it adds nothing. */
export function addedBytes(body: KvCommandBody): number {
  switch (body.type) {
    case 'put':
      return body.key.byteLength + body.value.byteLength;
    case 'batchPut':
      return body.items.reduce((sum, item) => sum + item.key.byteLength + item.value.byteLength, 0);
    case 'txn':
      return putBytes(body.success) + putBytes(body.failure);
    case 'delete':
    case 'deleteRange':
    case 'split':
    case 'hashCheck':
      return 0;
  }
}

/** True if the write puts anything (even an empty key and value, which validation refuses later). */
export function addsData(body: KvCommandBody): boolean {
  switch (body.type) {
    case 'put':
    case 'batchPut':
      return true;
    case 'txn':
      return body.success.some(isPut) || body.failure.some(isPut);
    case 'delete':
    case 'deleteRange':
    case 'split':
    case 'hashCheck':
      return false;
  }
}

// Both branches are checked in place: admission runs on every write, so no merged array per txn.
const isPut = (op: TxnOp): boolean => op.type === 'put';
const putBytes = (ops: readonly TxnOp[]): number => ops.reduce((sum, op) => sum + (op.type === 'put' ? op.key.byteLength + op.value.byteLength : 0), 0);

export class WriteAdmission {
  constructor(private readonly options: WriteAdmissionOptions) {}

  /** Throws NOSPACE if `body` adds data and a replica of `group` (`replicas`, this node included or not) is out of space. */
  check(group: GroupId, replicas: readonly NodeId[], body: KvCommandBody): void {
    if (!addsData(body)) return;
    const { self, alarms, quota, peerAlarm } = this.options;
    const own = alarms.active('NOSPACE', group) ?? quota.admit(addedBytes(body));
    if (own !== undefined) throw noSpace(self, own, `; it uses ${quota.usedBytes()} bytes now`);
    for (const node of replicas) {
      if (node === self) continue;
      const alarm = peerAlarm(node);
      if (alarm !== undefined) throw noSpace(node, alarm, '');
    }
  }
}

function noSpace(node: NodeId, alarm: Alarm, now: string): KvError {
  // No advice here: kvctl and the README's error table say what to do (delete data, then disarm).
  return new KvError('NOSPACE', `Cannot accept the write: node ${node} is out of space (NOSPACE alarm: ${alarm.reason}${now})`);
}
