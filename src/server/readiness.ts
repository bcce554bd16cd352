/**
 * Whether this node should receive client traffic now, and if not, why: the one answer behind
 * the HTTP `/readyz` probe and the gRPC health service's serving status. A node is not ready while
 * a group it hosts knows no leader, a replica is being rebuilt (a snapshot installing) or has not
 * passed its consistency check since it started, or an alarm is raised. Liveness is only "the
 * process answers": a node that is up but not ready must not be restarted by its supervisor, or
 * a whole cluster that lost quorum would be restarted in a loop.
 */
import type { NodeHost } from '../runtime/node-host.js';
import type { Alarms } from './alarms.js';

export interface Readiness {
  readonly ready: boolean;
  /** One line per reason, empty when ready. */
  readonly reasons: readonly string[];
}

/** Group ids listed per reason before "and N more". */
const GROUPS_LISTED_MAX = 10;

export function readinessOf(host: NodeHost, alarms: Alarms): Readiness {
  const leaderless: number[] = [];
  const installing: number[] = [];
  const unverified: number[] = [];
  const corrupt: number[] = [];
  for (const driver of host.allGroups()) {
    if (driver.core.status().leader === null) leaderless.push(driver.group);
    if (driver.installing) installing.push(driver.group);
    if (driver.health.state === 'unverified') unverified.push(driver.group);
    if (driver.health.state === 'corrupt') corrupt.push(driver.group);
  }
  const reasons = [
    ...listed(leaderless, 'know no leader'),
    ...listed(installing, 'are installing a snapshot (catching up)'),
    ...listed(unverified, 'have not passed the consistency check since the start'),
    ...listed(corrupt, 'are corrupt (CORRUPT)'),
    ...alarms.list().map((a) => `alarm ${a.kind}${a.group === undefined ? '' : ` on group ${a.group}`}: ${a.reason}`),
  ];
  return { ready: reasons.length === 0, reasons };
}

function listed(groups: readonly number[], what: string): string[] {
  if (groups.length === 0) return [];
  const shown = groups.slice(0, GROUPS_LISTED_MAX).join(', ');
  const more = groups.length > GROUPS_LISTED_MAX ? ` and ${groups.length - GROUPS_LISTED_MAX} more` : '';
  return [`${groups.length} group(s) ${what}: ${shown}${more}`];
}
