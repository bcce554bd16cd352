/**
 * Cluster calls that change the shard map (node join and decommission, balancer pause, replica
 * moves, splits). Each decodes its request, then edits the map on the meta leader
 * (meta-map.ts; NOT_LEADER with the hint elsewhere) and answers with the new epoch.
 */
import { isMemberRecord } from '../shared/member-address.js';
import { KvError } from '../shared/errors.js';
import { groupId, nodeId } from '../shared/ids.js';
import { decommissionNode, joinNode, moveReplica, pauseBalancer, splitGroup } from '../shard/map-edits.js';
import type { MetaMap } from './meta-map.js';
import * as req from './requests.js';
import { decoded, type Obj } from './rpc.js';

const ADDRESS = /^[^\s:@]+:\d{1,5}$/;

function node(request: Obj, field: string): ReturnType<typeof nodeId> {
  const id = decoded(() => req.uint(request, field));
  if (id < 1) throw new KvError('INVALID_ARGUMENT', `Cannot change the shard map: ${field} must be 1 or more`, { field });
  return nodeId(id);
}

export class ShardMapCalls {
  constructor(private readonly maps: MetaMap) {}

  async nodeJoin(request: Obj, deadlineMs: number): Promise<Obj> {
    const id = node(request, 'nodeId');
    const address = request['address'];
    if (typeof address !== 'string' || !isMemberRecord(address, ADDRESS)) {
      throw new KvError('INVALID_ARGUMENT', `Cannot join: address must look like host:port or host:port@peerhost:peerport, got "${String(address).slice(0, 100)}"`, { field: 'address' });
    }
    const map = await this.maps.change((m) => joinNode(m, id, address), deadlineMs);
    return { epoch: String(map.epoch) };
  }

  async decommission(request: Obj, deadlineMs: number): Promise<Obj> {
    const id = node(request, 'nodeId');
    const map = await this.maps.change((m) => decommissionNode(m, id), deadlineMs);
    return { epoch: String(map.epoch) };
  }

  async pause(request: Obj, deadlineMs: number): Promise<Obj> {
    const paused = req.bool(request, 'paused');
    const map = await this.maps.change((m) => pauseBalancer(m, paused), deadlineMs);
    return { epoch: String(map.epoch) };
  }

  async move(request: Obj, deadlineMs: number): Promise<Obj> {
    const group = groupId(decoded(() => req.uint(request, 'groupId')));
    const from = node(request, 'fromNodeId');
    const to = node(request, 'toNodeId');
    const map = await this.maps.change((m) => moveReplica(m, group, from, to), deadlineMs);
    return { epoch: String(map.epoch) };
  }

  async split(request: Obj, deadlineMs: number): Promise<Obj> {
    const group = groupId(decoded(() => req.uint(request, 'groupId')));
    let child = 0;
    const map = await this.maps.change((m) => {
      const result = splitGroup(m, group);
      child = result.child;
      return result.map;
    }, deadlineMs);
    return { epoch: String(map.epoch), newGroupId: String(child) };
  }
}
