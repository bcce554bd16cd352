/**
 * The Status RPC: what an operator (and kvctl endpoint status) needs to see about this node and
 * one of its groups: role, leader, term, commit and applied index, membership, database size.
 */
import { statSync } from 'node:fs';
import { groupId, type NodeId } from '../shared/ids.js';
import type { NodeHost } from '../runtime/node-host.js';
import { uint } from './requests.js';
import type { Router } from './router.js';
import { header } from './responses.js';

export interface StatusContext {
  readonly nodeId: number;
  readonly host: NodeHost;
  readonly router: Router;
  readonly dbPath: string;
  readonly version: string;
  readonly addressOf: (node: NodeId) => string | undefined;
}

const ROLES = { follower: 'ROLE_FOLLOWER', preCandidate: 'ROLE_PRE_CANDIDATE', candidate: 'ROLE_CANDIDATE', leader: 'ROLE_LEADER' } as const;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function statusResponse(context: StatusContext, request: Record<string, unknown>): Record<string, unknown> {
  const driver = context.router.local(groupId(uint(request, 'groupId')));
  const s = driver.core.status();
  const member = (node: NodeId, isLearner: boolean) => ({ nodeId: String(node), address: context.addressOf(node) ?? '', isLearner });
  return {
    header: header(driver.group, driver.storage.kv.revision(), s.term, context.nodeId),
    leaderId: String(s.leader ?? 0),
    commitIndex: String(s.commit),
    appliedIndex: String(driver.storage.kv.appliedIndex()),
    role: ROLES[s.role],
    dbSizeBytes: String(fileSize(context.dbPath) + fileSize(`${context.dbPath}-wal`)),
    version: context.version,
    members: [...s.conf.voters.map((n) => member(n, false)), ...s.conf.learners.map((n) => member(n, true))],
  };
}
