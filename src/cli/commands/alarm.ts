/**
 * `kvctl alarm list|disarm` (etcd's `etcdctl alarm`): the nodes' NOSPACE and CORRUPT alarms.
 * `list` asks every endpoint and shows each alarm once (a node also reports the other nodes'
 * NOSPACE alarms it learned); `disarm` clears the alarms of every endpoint, or of one node.
 * Exit code 1 if an endpoint did not answer; the others' results are still shown.
 */
import type { AlarmInfo, KvClient, NodeAlarms } from '../../client/kv-client.js';
import { UnreachableError } from '../../client/kv-client.js';
import { expectArgs, parseCount, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext, type ExitCode } from './context.js';
import { formatSize } from './endpoint.js';

const GROUP_MAX = 4096;
const KINDS = ['NOSPACE', 'CORRUPT'] as const;

type Outcome = { readonly endpoint: string; readonly answer?: NodeAlarms; readonly error?: string };

async function askAll(context: CommandContext, endpoints: readonly string[], call: (client: KvClient, endpoint: string) => Promise<NodeAlarms>): Promise<Outcome[]> {
  const client = context.client();
  return Promise.all(endpoints.map(async (endpoint) => {
    try {
      return { endpoint, answer: await call(client, endpoint) };
    } catch (error) {
      return { endpoint, error: error instanceof UnreachableError ? error.reason : error instanceof Error ? error.message : String(error) };
    }
  }));
}

function reportErrors(context: CommandContext, outcomes: readonly Outcome[]): ExitCode {
  for (const o of outcomes) if (o.error !== undefined) context.warn(`kvctl: ${o.endpoint}: ${o.error}`);
  return outcomes.some((o) => o.error !== undefined) ? EXIT.error : EXIT.ok;
}

/** Every alarm once, by node, kind and group. */
export function distinctAlarms(answers: readonly NodeAlarms[]): AlarmInfo[] {
  const byKey = new Map<string, AlarmInfo>();
  for (const alarm of answers.flatMap((a) => a.alarms)) {
    const key = `${alarm.nodeId}/${alarm.kind}/${alarm.group ?? '*'}`;
    // A node's own report wins over what another node learned from it (possibly older).
    const own = answers.some((a) => a.nodeId === alarm.nodeId && a.alarms.includes(alarm));
    if (!byKey.has(key) || own) byKey.set(key, alarm);
  }
  return [...byKey.values()].sort((a, b) => a.nodeId - b.nodeId || a.kind.localeCompare(b.kind) || (a.group ?? -1) - (b.group ?? -1));
}

async function list(context: CommandContext): Promise<ExitCode> {
  const outcomes = await askAll(context, context.endpoints, (client, endpoint) => client.alarms(endpoint));
  const answers = outcomes.flatMap((o) => (o.answer === undefined ? [] : [o.answer]));
  const alarms = distinctAlarms(answers);
  const usage = answers.filter((a) => a.quotaBytes > 0).map((a) => `node ${a.nodeId} uses ${formatSize(a.usedBytes)} of its ${formatSize(a.quotaBytes)} quota`);
  context.out.show({
    ...(alarms.length === 0 || usage.length > 0 ? { note: [...(alarms.length === 0 ? ['No alarms'] : []), ...usage].join('; ') } : {}),
    columns: alarms.length === 0 ? [] : ['NODE', 'KIND', 'GROUP', 'REASON', 'RAISED_AT'],
    rows: alarms.map((a) => [String(a.nodeId), a.kind, a.group === null ? '-' : String(a.group), a.reason, new Date(a.raisedAtMs).toISOString()]),
    json: alarms.map((a) => ({ ...a, raisedAt: new Date(a.raisedAtMs).toISOString() })),
  });
  return reportErrors(context, outcomes);
}

async function disarm(context: CommandContext): Promise<ExitCode> {
  const nodeText = context.flags.string('node');
  const kindText = context.flags.string('kind');
  const groupText = context.flags.string('group');
  const kind = KINDS.find((k) => k === kindText?.toUpperCase());
  if (kindText !== undefined && kind === undefined) throw new UsageError(`--kind must be NOSPACE or CORRUPT, got "${kindText}"`, 'alarm');
  const group = groupText === undefined ? undefined : parseCount(groupText, '--group', 0, GROUP_MAX);
  let endpoints = context.endpoints;
  let unreachable: Outcome[] = [];
  if (nodeText !== undefined) {
    const node = parseCount(nodeText, '--node', 1);
    const found = await askAll(context, context.endpoints, (client, endpoint) => client.alarms(endpoint));
    endpoints = found.filter((o) => o.answer?.nodeId === node).map((o) => o.endpoint);
    unreachable = found.filter((o) => o.error !== undefined);
    if (endpoints.length === 0) {
      reportErrors(context, unreachable);
      throw new UsageError(`no endpoint answered as node ${node}; give its address in --endpoints`, 'alarm');
    }
  }
  const outcomes = await askAll(context, endpoints, (client, endpoint) => client.alarmDisarm(endpoint, { ...(kind === undefined ? {} : { kind }), ...(group === undefined ? {} : { group }) }));
  const answers = outcomes.flatMap((o) => (o.answer === undefined ? [] : [o.answer]));
  const total = answers.reduce((sum, a) => sum + a.disarmed, 0);
  context.out.show({
    note: `Disarmed ${total} alarm${total === 1 ? '' : 's'} on ${answers.length} node${answers.length === 1 ? '' : 's'}; a NOSPACE alarm comes back at the next check if a node is still over its quota`,
    columns: ['ENDPOINT', 'NODE', 'DISARMED', 'STILL_RAISED'],
    rows: answers.map((a) => [a.endpoint, String(a.nodeId), String(a.disarmed), a.alarms.map((x) => x.kind).join(',') || '-']),
    json: answers.map((a) => ({ endpoint: a.endpoint, nodeId: a.nodeId, disarmed: a.disarmed, alarms: a.alarms })),
  });
  return reportErrors(context, [...unreachable, ...outcomes]);
}

export const alarmCommand: Command = {
  name: 'alarm',
  usage: ['alarm list', 'alarm disarm [--node ID] [--kind NOSPACE|CORRUPT] [--group N]'],
  brief: 'alarm list|disarm',
  summary: "show or clear the nodes' NOSPACE and CORRUPT alarms",
  details: `list the alarms of every endpoint (node, kind, group, reason, when raised), or disarm them.

NOSPACE: the node's database reached its --quota-bytes; writes that add data to any group with a
replica on it are refused (RESOURCE_EXHAUSTED), reads and deletes still work. Delete data, then
'kvctl alarm disarm'; if the node is still over its quota the alarm comes back at its next check.
CORRUPT: a replica failed the consistency check and serves nothing.

disarm acts on every endpoint unless --node names one (it must be among --endpoints).`,
  flags: {
    node: { type: 'string', value: 'ID', help: 'alarm disarm: only this node' },
    kind: { type: 'string', value: 'KIND', help: 'alarm disarm: only NOSPACE or only CORRUPT alarms' },
    group: { type: 'string', value: 'N', help: "alarm disarm: only alarms of group N's replicas" },
  },
  run(context) {
    const [verb, ...rest] = context.args;
    if (verb === 'list') {
      expectArgs(rest, [], 'alarm list');
      return list(context);
    }
    if (verb === 'disarm') {
      expectArgs(rest, [], 'alarm disarm');
      return disarm(context);
    }
    throw new UsageError(verb === undefined ? 'alarm: missing list or disarm' : `alarm: unknown subcommand "${verb}" (list, disarm)`, 'alarm');
  },
};
