/**
 * `kvctl shard list`: the shard map, one row per data group: its ring range (hex, inclusive) and
 * share of the ring, its replicas (preferred leader first), and its leader and term as the nodes
 * hosting it report them. An unsharded cluster shows its one group 0 over the whole ring.
 * The other subcommands change the map (sent to the meta group's leader): move a replica, split a
 * group, decommission a node, pause or resume the balancer.
 */
import type { ShardMapInfo } from '../../client/kv-client.js';
import { RING_SIZE } from '../../shard/hash-ring.js';
import { expectArgs, parseCount, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext } from './context.js';

/** Hex digits of a ring position (48 bits). */
const RING_HEX_DIGITS = 12;

export function ringHex(position: number): string {
  return position.toString(16).padStart(RING_HEX_DIGITS, '0');
}

export interface ShardRow {
  readonly group: number;
  /** [start, end) ring positions. */
  readonly ranges: readonly { readonly start: number; readonly end: number }[];
  /** Fraction of the ring, 0..1. */
  readonly share: number;
  readonly replicas: readonly number[];
  /** 0 when no answering node knows one. */
  readonly leaderId: number;
  readonly term: number;
  /** Applied membership as the best-informed node knows it; empty when no answering node hosts the group. */
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

/** One row per group, ascending; an unsharded map's group 0 owns the whole ring. */
export function shardRows(map: ShardMapInfo): ShardRow[] {
  return [...map.groups].sort((a, b) => a.group - b.group).map((g) => {
    const ranges = map.epoch === 0 ? [{ start: 0, end: RING_SIZE }] : map.ranges.filter((r) => r.group === g.group).map((r) => ({ start: r.start, end: r.end }));
    const share = ranges.reduce((sum, r) => sum + (r.end - r.start), 0) / RING_SIZE;
    return { group: g.group, ranges, share, replicas: g.replicas, leaderId: g.leaderId, term: g.term, voters: g.voters ?? [], learners: g.learners ?? [] };
  });
}

export function shardTableRow(row: ShardRow): string[] {
  const ranges = row.ranges.map((r) => `${ringHex(r.start)}-${ringHex(r.end - 1)}`).join(',');
  return [String(row.group), ranges, `${(row.share * 100).toFixed(2)}%`, row.replicas.join(','), membersText(row), row.leaderId === 0 ? '-' : String(row.leaderId), String(row.term)];
}

/**
 * The MEMBERS column: "=" when the applied membership is the target replica set, else the voters
 * then the learners marked L (a move under way, e.g. "1,2,3,L4"); "-" when unknown.
 */
export function membersText(row: ShardRow): string {
  if (row.voters.length === 0 && row.learners.length === 0) return '-';
  const sameSet = row.learners.length === 0 && row.voters.length === row.replicas.length && row.voters.every((v) => row.replicas.includes(v));
  return sameSet ? '=' : [...row.voters.map(String), ...row.learners.map((l) => `L${l}`)].join(',');
}

function shardJson(row: ShardRow): Record<string, unknown> {
  return {
    group: row.group, ranges: row.ranges.map((r) => ({ start: r.start, end: r.end, startHex: ringHex(r.start), endHex: ringHex(r.end - 1) })),
    sharePercent: Math.round(row.share * 10_000) / 100, replicas: row.replicas, voters: row.voters, learners: row.learners, leaderId: row.leaderId, term: row.term,
  };
}

async function list(context: CommandContext): Promise<void> {
  const map = await context.client().shardMap();
  const rows = shardRows(map);
  const leaving = (map.nodeStates ?? []).filter((n) => n.state !== 'active').map((n) => `node ${n.nodeId} ${n.state}`);
  const note = map.epoch === 0
    ? 'Unsharded cluster (epoch 0): every key is in group 0'
    : `Shard map epoch ${map.epoch}: ${rows.length} groups on ${map.nodes.length} nodes${map.balancerPaused === true ? '; balancer paused' : ''}${leaving.length > 0 ? `; ${leaving.join(', ')}` : ''}`;
  context.out.show({
    note,
    columns: ['GROUP', 'RANGE', 'SHARE', 'REPLICAS', 'MEMBERS', 'LEADER', 'TERM'],
    rows: rows.map(shardTableRow),
    json: {
      epoch: map.epoch, balancerPaused: map.balancerPaused ?? false, groups: rows.map(shardJson),
      nodes: map.nodes.map((n) => ({ nodeId: n.nodeId, address: n.address, state: map.nodeStates?.find((s) => s.nodeId === n.nodeId)?.state ?? 'active' })),
    },
  });
}

/** The map-changing subcommands: what to call, and what to say once the new map is committed. */
async function change(context: CommandContext, verb: string, rest: readonly string[]): Promise<void> {
  const client = context.client();
  const id = (text: string | undefined, what: string): number => parseCount(text ?? '', what, 1);
  let done: { epoch: number; text: string };
  switch (verb) {
    case 'move': {
      const [g, from, to] = expectArgs(rest, ['GROUP', 'FROM', 'TO'], 'shard move');
      const r = await client.replicaMove(id(g, 'GROUP'), id(from, 'FROM'), id(to, 'TO'));
      done = { epoch: r.epoch, text: `group ${g} will move from node ${from} to node ${to}` };
      break;
    }
    case 'split': {
      const [g] = expectArgs(rest, ['GROUP'], 'shard split');
      const r = await client.split(id(g, 'GROUP'));
      done = { epoch: r.epoch, text: `group ${g} splits; group ${r.newGroupId} takes the upper half of its range` };
      break;
    }
    case 'decommission': {
      const [n] = expectArgs(rest, ['NODE'], 'shard decommission');
      const r = await client.nodeDecommission(id(n, 'NODE'));
      done = { epoch: r.epoch, text: `node ${n} is decommissioning: its replicas move away; stop it once 'shard list' shows none on it` };
      break;
    }
    default: {
      expectArgs(rest, [], `shard ${verb}`);
      const r = await client.balancerPause(verb === 'pause');
      done = { epoch: r.epoch, text: `balancer ${verb === 'pause' ? 'paused' : 'resumed'}` };
    }
  }
  context.out.show({ note: `${done.text} (shard map epoch ${done.epoch})`, columns: [], rows: [], json: { epoch: done.epoch, result: done.text } });
}

export const shardCommand: Command = {
  name: 'shard',
  usage: ['shard list', 'shard move GROUP FROM TO', 'shard split GROUP', 'shard decommission NODE', 'shard pause', 'shard resume'],
  brief: 'shard list|move|split|decommission|pause|resume',
  summary: 'groups: ring ranges, replicas and leaders; moves and splits',
  details: `list the data groups of the shard map: each group's range of the hash ring (hex, inclusive) and its share,
its target replicas (the preferred leader first), its applied membership ("=": the target; otherwise voters, then
learners marked L, while a move is carried out), and its leader and term as the nodes hosting it report them ("-": none known).
A key's ring position is the top 48 bits of xxHash64 of the key, or of its {hash tag} (docs/sharding.md).
move, split, decommission, pause and resume change the shard map; the group leaders carry the change out in
the background (watch 'shard list'). split is not idempotent: each call splits again.`,
  flags: {},
  async run(context) {
    const [verb, ...rest] = context.args;
    const verbs = ['list', 'move', 'split', 'decommission', 'pause', 'resume'];
    if (verb === undefined || !verbs.includes(verb)) {
      throw new UsageError(verb === undefined ? 'shard: missing subcommand' : `shard: unknown subcommand "${verb}" (${verbs.join(', ')})`, 'shard');
    }
    if (verb === 'list') {
      expectArgs(rest, [], 'shard list');
      await list(context);
    } else {
      await change(context, verb, rest);
    }
    return EXIT.ok;
  },
};
