/**
 * `kvctl endpoint status|health`: every endpoint on its own, no routing. Exit code 1 if any
 * endpoint is unreachable (status) or unhealthy (health); the table still lists them all.
 * `endpoint status --group N` reports group N (default 0: the unsharded group, or the meta group
 * of a sharded cluster); an endpoint without a replica of N is listed as such, not as a failure.
 */
import { KvError, UnreachableError, type EndpointStatus } from '../../client/kv-client.js';
import { expectArgs, parseCount, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext, type ExitCode } from './context.js';
import { describeIdentity } from './tls-flags.js';

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

export function formatMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)}ms` : `${Math.round(ms)}ms`;
}

type StatusOutcome =
  | { readonly endpoint: string; readonly group: number; readonly status: EndpointStatus }
  | { readonly endpoint: string; readonly group: number; readonly error: string }
  | { readonly endpoint: string; readonly group: number; readonly noReplica: true };

/** Highest group id `--group` accepts (the server's bound on groups). */
const GROUP_MAX = 4096;

function statusRow(outcome: StatusOutcome): string[] {
  if ('error' in outcome) return [outcome.endpoint, 'false', '', '', '', '', '', '', '', '', '', outcome.error];
  if ('noReplica' in outcome) return [outcome.endpoint, 'true', '', '', 'none', '', '', '', '', '', '', `no replica of group ${outcome.group}`];
  const s = outcome.status;
  return [s.endpoint, 'true', String(s.nodeId), s.version, s.role, String(s.leaderId), String(s.term), String(s.commitIndex),
    String(s.appliedIndex), formatSize(s.dbSizeBytes), formatMs(s.latencyMs), ''];
}

function statusJson(outcome: StatusOutcome): Record<string, unknown> {
  if ('error' in outcome) return { endpoint: outcome.endpoint, reachable: false, error: outcome.error };
  if ('noReplica' in outcome) return { endpoint: outcome.endpoint, reachable: true, group: outcome.group, hosted: false };
  const s = outcome.status;
  return {
    endpoint: s.endpoint, reachable: true, group: outcome.group, nodeId: s.nodeId, version: s.version, role: s.role, leaderId: s.leaderId, term: s.term,
    commitIndex: s.commitIndex, appliedIndex: s.appliedIndex, revision: s.revision, dbSizeBytes: s.dbSizeBytes, latencyMs: s.latencyMs,
  };
}

async function statusOf(context: CommandContext, endpoint: string, group: number): Promise<StatusOutcome> {
  try {
    return { endpoint, group, status: await context.client().status(endpoint, { group }) };
  } catch (error) {
    if (error instanceof KvError && error.code === 'WRONG_SHARD') return { endpoint, group, noReplica: true };
    return { endpoint, group, error: error instanceof UnreachableError ? error.reason : error instanceof Error ? error.message : String(error) };
  }
}

async function status(context: CommandContext): Promise<ExitCode> {
  const groupText = context.flags.string('group');
  const group = groupText === undefined ? 0 : parseCount(groupText, '--group', 0, GROUP_MAX);
  const outcomes = await Promise.all(context.endpoints.map((endpoint) => statusOf(context, endpoint, group)));
  const columns = ['ENDPOINT', 'REACHABLE', 'ID', 'VERSION', 'ROLE', 'LEADER', 'TERM', 'COMMIT', 'APPLIED', 'DB_SIZE', 'LATENCY', 'ERROR'];
  const rows = outcomes.map(statusRow);
  const anyError = outcomes.some((o) => 'error' in o);
  const noteColumn = anyError || outcomes.some((o) => 'noReplica' in o);
  context.out.show({ columns: noteColumn ? columns : columns.slice(0, -1), rows: noteColumn ? rows : rows.map((r) => r.slice(0, -1)), json: outcomes.map(statusJson) });
  const first = context.endpoints[0];
  // Which identities the calls ran with, on stderr so JSON output stays one document.
  if (first !== undefined) context.warn(describeIdentity(first, await context.client().connectionIdentity(first)));
  return anyError ? EXIT.error : EXIT.ok;
}

async function health(context: CommandContext): Promise<ExitCode> {
  const client = context.client();
  const results = await Promise.all(context.endpoints.map((endpoint) => client.health(endpoint)));
  context.out.show({
    columns: ['ENDPOINT', 'HEALTHY', 'TOOK', 'ERROR'],
    rows: results.map((r) => [r.endpoint, String(r.healthy), formatMs(r.latencyMs), r.error ?? '']),
    json: results,
  });
  return results.every((r) => r.healthy) ? EXIT.ok : EXIT.error;
}

export const endpointCommand: Command = {
  name: 'endpoint',
  usage: ['endpoint status [--group N]', 'endpoint health'],
  brief: 'endpoint status|health',
  summary: 'per-endpoint status, or a health probe',
  details: `each endpoint's role, leader, term, indexes, DB size and latency in one Raft group (status), or whether it serves a linearizable read (health).

On a sharded cluster, status reports the meta group (0) unless --group N names a data group ('kvctl shard list' lists them); an endpoint without a replica of that group shows role "none".`,
  flags: {
    group: { type: 'string', value: 'N', help: 'endpoint status: the Raft group to report (default 0)' },
  },
  run(context) {
    const [verb, ...rest] = context.args;
    if (verb === 'status') {
      expectArgs(rest, [], 'endpoint status');
      return status(context);
    }
    if (verb === 'health') {
      expectArgs(rest, [], 'endpoint health');
      return health(context);
    }
    throw new UsageError(verb === undefined ? 'endpoint: missing status or health' : `endpoint: unknown subcommand "${verb}" (status, health)`, 'endpoint');
  },
};
