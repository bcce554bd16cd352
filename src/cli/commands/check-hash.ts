/**
 * `kvctl check hash`: every replica's state hash per group (the consistency check, docs/node.md).
 * Asks each endpoint for its report (Cluster.GroupHashes; pass every node in --endpoints), then
 * per group picks the newest index every answering replica has hashed and shows each replica's
 * hash there, its health and whether it matches the others. Exit code 1 if a replica is corrupt
 * or hashes differ.
 */
import { fetchGroupHashes, type GroupHashReport, type NodeHashes } from '../../client/group-hashes.js';
import { EXIT, type CommandContext, type ExitCode } from './context.js';

interface ReplicaRow {
  readonly node: number;
  readonly index: number;
  readonly hash: string;
  readonly health: string;
  readonly reason: string;
  readonly match: boolean;
}

export async function checkHash(context: CommandContext): Promise<ExitCode> {
  const answers = await Promise.all(context.endpoints.map((endpoint) => fetchGroupHashes(endpoint, context.timeoutMs).catch((error: unknown) => {
    context.warn(`kvctl: ${endpoint} did not answer: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  })));
  const reports = answers.filter((a): a is NodeHashes => a !== undefined);
  const byGroup = new Map<number, { node: number; report: GroupHashReport }[]>();
  for (const report of reports) {
    for (const group of report.groups) byGroup.set(group.group, [...(byGroup.get(group.group) ?? []), { node: report.nodeId, report: group }]);
  }
  const groups = [...byGroup].sort(([a], [b]) => a - b).map(([group, replicas]) => ({ group, replicas: compare(replicas) }));
  const healthy = reports.length > 0 && groups.every((g) => g.replicas.every((r) => r.match && r.health !== 'corrupt'));
  context.out.show({
    columns: ['GROUP', 'NODE', 'INDEX', 'HASH', 'HEALTH', 'MATCH'],
    rows: groups.flatMap((g) => g.replicas.map((r) => [String(g.group), String(r.node), r.index === 0 ? '-' : String(r.index), r.hash.slice(0, 16) || '-', r.health, r.match ? 'yes' : 'NO'])),
    json: { healthy, groups },
  });
  return healthy ? EXIT.ok : EXIT.error;
}

/** Each replica's hash at the newest index all of them hashed (its newest one when there is none). */
function compare(replicas: readonly { node: number; report: GroupHashReport }[]): ReplicaRow[] {
  const indexSets = replicas.map(({ report }) => new Set(report.hashes.map((h) => h.index)));
  const common = [...(indexSets[0] ?? [])].filter((i) => indexSets.every((s) => s.has(i))).sort((a, b) => b - a)[0];
  const picked = replicas.map(({ node, report }) => {
    const hash = common === undefined ? report.hashes[report.hashes.length - 1] : report.hashes.find((h) => h.index === common);
    return { node, index: hash?.index ?? 0, hash: hash?.hash ?? '', health: report.health, reason: report.reason };
  });
  const counts = new Map<string, number>();
  for (const p of picked) counts.set(p.hash, (counts.get(p.hash) ?? 0) + 1);
  const majority = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  return picked.sort((a, b) => a.node - b.node).map((p) => ({ ...p, match: common === undefined || p.hash === majority }));
}
