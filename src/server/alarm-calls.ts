/**
 * The Cluster service's ListAlarms and DisarmAlarm (`kvctl alarm list|disarm`). A node lists its
 * own alarms and, unless `localOnly`, the NOSPACE alarms it learned from its peers (each row names
 * its node), so one endpoint already shows why its writes are refused. Disarm acts on this node's
 * own alarms only: disarming every node's is `kvctl alarm disarm` asking every endpoint.
 */
import { KvError } from '../shared/errors.js';
import { groupId, type NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { ALARM_KINDS, type Alarm, type AlarmKind, type Alarms } from './alarms.js';
import * as req from './requests.js';
import { decoded, type Obj } from './rpc.js';

export interface AlarmCallsOptions {
  readonly self: NodeId;
  readonly alarms: Alarms;
  readonly quota: { readonly quotaBytes: number; usedBytes(): number };
  readonly peerAlarms: () => ReadonlyMap<NodeId, readonly Alarm[]>;
  readonly log: Logger;
}

export class AlarmCalls {
  constructor(private readonly options: AlarmCallsOptions) {}

  list(request: Obj): Obj {
    const { self, alarms, quota, peerAlarms } = this.options;
    const localOnly = decoded(() => req.bool(request, 'localOnly'));
    // Peers' NOSPACE alarms only: those are what refuse this node's writes; a peer's CORRUPT
    // alarm concerns that peer's replica alone.
    const learned = localOnly ? [] : [...peerAlarms()].sort(([a], [b]) => a - b);
    const peers = learned.flatMap(([node, list]) => list.filter((a) => a.kind === 'NOSPACE').map((a) => alarmInfo(node, a)));
    return {
      nodeId: String(self), alarms: [...alarms.list().map((a) => alarmInfo(self, a)), ...peers],
      quotaBytes: String(quota.quotaBytes), usedBytes: String(quota.usedBytes()),
    };
  }

  disarm(request: Obj): Obj {
    const { self, alarms, log } = this.options;
    const { kind, group } = decoded(() => disarmRequest(request));
    const disarmed = alarms.disarm(kind, group);
    if (disarmed > 0) log.warn({ kind: kind ?? 'all', group, disarmed }, 'alarms disarmed');
    return { nodeId: String(self), disarmed: String(disarmed), alarms: alarms.list().map((a) => alarmInfo(self, a)) };
  }
}

function disarmRequest(request: Obj): { kind: AlarmKind | undefined; group: ReturnType<typeof groupId> | undefined } {
  const kindText = request['kind'] ?? '';
  const kind = ALARM_KINDS.find((k) => k === kindText);
  if (kindText !== '' && kind === undefined) {
    throw new KvError('INVALID_ARGUMENT', `Cannot disarm: kind must be empty (every kind) or one of ${ALARM_KINDS.join(', ')}, got "${String(kindText).slice(0, 64)}"`, { field: 'kind' });
  }
  const group = req.bool(request, 'hasGroup') ? groupId(req.uint(request, 'groupId')) : undefined;
  return { kind, group };
}

function alarmInfo(node: NodeId, alarm: Alarm): Obj {
  return {
    nodeId: String(node), kind: alarm.kind, hasGroup: alarm.group !== undefined, groupId: String(alarm.group ?? 0),
    reason: alarm.reason, raisedAtMs: String(alarm.raisedAtMs),
  };
}
