/**
 * The scenario language: one command per stanza, its output compared with the golden text after
 * `----`. Every command runs the cluster to quiescence (instant delivery) unless a partition
 * stops messages, so the output is what the nodes logged plus what the command reports.
 */
import type { NodeId } from '../../src/shared/ids.js';
import { nodeId } from '../../src/shared/ids.js';
import { Harness, parseNode } from './harness.js';
import { founderState, joinerState } from '../../src/raft/bootstrap.js';

type Args = Map<string, string>;

export interface Command {
  readonly name: string;
  readonly positional: string[];
  readonly args: Args;
}

export function parseCommand(line: string): Command {
  const tokens = line.match(/\([^)]*\)|\S+/g) ?? [];
  const [name = '', ...rest] = tokens;
  const positional: string[] = [];
  const args: Args = new Map();
  for (const token of rest) {
    const eq = token.indexOf('=');
    if (eq > 0 && !token.startsWith('(')) args.set(token.slice(0, eq), token.slice(eq + 1));
    else positional.push(token);
  }
  return { name, positional, args };
}

function nodes(list: string): NodeId[] {
  return list.replace(/[()]/g, '').split(',').filter((s) => s.length > 0).map(parseNode);
}

function arg(cmd: Command, i: number): string {
  const value = cmd.positional[i];
  if (value === undefined) throw new Error(`${cmd.name}: missing argument ${i + 1}`);
  return value;
}

/** A one-way link written `n1->n2`. */
function link(cmd: Command): [NodeId, NodeId] {
  const [from, to] = arg(cmd, 0).split('->');
  return [parseNode(from ?? ''), parseNode(to ?? '')];
}

function numberArg(cmd: Command, key: string, fallback: number): number {
  const value = cmd.args.get(key);
  return value === undefined ? fallback : Number(value);
}

export function newHarness(cmd: Command): Harness {
  const voters = nodes(cmd.args.get('voters') ?? 'n1,n2,n3');
  const learners = nodes(cmd.args.get('learners') ?? '');
  const harness = new Harness({
    electionTicks: numberArg(cmd, 'election', 10),
    heartbeatTicks: numberArg(cmd, 'heartbeat', 1),
    preVote: cmd.args.get('prevote') !== 'false',
    checkQuorum: cmd.args.get('checkquorum') !== 'false',
    leaseReads: cmd.args.get('lease') === 'true',
    quiesce: cmd.args.get('quiesce') === 'true',
    snapshotChunkBytesMax: numberArg(cmd, 'chunk', 1024),
    pendingReadsMax: numberArg(cmd, 'readsmax', 10_000),
  });
  for (const id of [...voters, ...learners]) harness.addNode(id, founderState(voters, learners));
  return harness;
}

/** Runs one command; returns the extra lines it reports (node log lines are added separately). */
export function runCommand(h: Harness, cmd: Command): string[] {
  switch (cmd.name) {
    case 'tick': {
      const targets = cmd.positional.length > 0 ? nodes(cmd.positional.join(',')) : [...h.nodes.keys()];
      const count = numberArg(cmd, 'count', 1);
      for (let i = 0; i < count; i++) for (const id of targets) if (h.node(id).up) h.tick(id, 1);
      return [];
    }
    case 'stall': {
      // Ticks the runtime missed while its event loop was stalled (NodeHost.catchUpTicks).
      h.node(parseNode(arg(cmd, 0))).core.tickStalled(numberArg(cmd, 'count', 1));
      h.stabilize();
      return ['ok'];
    }
    case 'propose': {
      const result = h.node(parseNode(arg(cmd, 0))).core.propose(new TextEncoder().encode(arg(cmd, 1)));
      h.stabilize();
      return [result.ok ? `proposed index=${result.value.index} term=${result.value.term}` : `error ${result.error.code}: ${result.error.message}`];
    }
    case 'read': {
      const result = h.node(parseNode(arg(cmd, 0))).core.readIndex(arg(cmd, 1));
      h.stabilize();
      return result.ok ? [] : [`error ${result.error.code}: ${result.error.message}`];
    }
    case 'unquiesce':
      h.node(parseNode(arg(cmd, 0))).core.unquiesce();
      return ['ok'];
    case 'lease-read': {
      const result = h.node(parseNode(arg(cmd, 0))).core.leaseRead();
      return [result.ok ? `lease read at index ${result.value}` : `error ${result.error.code}: ${result.error.message}`];
    }
    case 'transfer': {
      const result = h.node(parseNode(arg(cmd, 0))).core.transferLeadership(parseNode(arg(cmd, 1)));
      h.stabilize();
      return result.ok ? [] : [`error ${result.error.code}: ${result.error.message}`];
    }
    case 'conf':
      return confChange(h, cmd);
    case 'add-node':
      h.addNode(parseNode(arg(cmd, 0)), joinerState());
      return ['ok'];
    case 'partition':
      h.partition(cmd.positional.map(nodes));
      return ['ok'];
    case 'cut':
      h.cutOneWay(...link(cmd));
      return ['ok'];
    case 'heal':
      h.heal();
      return ['ok'];
    case 'hold':
      h.holdOneWay(...link(cmd));
      return ['ok'];
    case 'release':
      h.release();
      h.stabilize();
      return [];
    case 'crash':
      h.crash(parseNode(arg(cmd, 0)));
      return ['ok'];
    case 'restart':
      h.restart(parseNode(arg(cmd, 0)));
      h.stabilize();
      return [];
    case 'compact':
      h.compact(parseNode(arg(cmd, 0)));
      return ['ok'];
    case 'stabilize':
      h.stabilize();
      return [];
    case 'status':
      return status(h, cmd);
    case 'log':
      return logLines(h, parseNode(arg(cmd, 0)));
    default:
      throw new Error(`Unknown scenario command "${cmd.name}"`);
  }
}

function confChange(h: Harness, cmd: Command): string[] {
  const kinds = { 'add-voter': 'addVoter', 'add-learner': 'addLearner', remove: 'removeNode' } as const;
  const kind = kinds[arg(cmd, 1) as keyof typeof kinds];
  if (kind === undefined) throw new Error(`conf: unknown change "${arg(cmd, 1)}"`);
  const result = h.node(parseNode(arg(cmd, 0))).core.proposeConfChange({ type: kind, node: parseNode(arg(cmd, 2)) });
  h.stabilize();
  return [result.ok ? `proposed index=${result.value.index} term=${result.value.term}` : `error ${result.error.code}: ${result.error.message}`];
}

function status(h: Harness, cmd: Command): string[] {
  const ids = cmd.positional.length > 0 ? nodes(cmd.positional.join(',')) : [...h.nodes.keys()];
  return ids.map((id) => {
    const node = h.node(id);
    if (!node.up) return `n${id} down`;
    const s = node.core.status();
    const leader = s.leader === null ? '-' : `n${s.leader}`;
    const quiet = node.core.isQuiesced() ? ' quiesced' : '';
    return `n${id} ${s.role}${quiet} term=${s.term} leader=${leader} commit=${s.commit} applied=${s.applied} ` +
      `last=${s.lastIndex} first=${s.firstIndex} voters=[${s.conf.voters.join(',')}] learners=[${s.conf.learners.join(',')}]`;
  });
}

function logLines(h: Harness, id: NodeId): string[] {
  const s = h.node(id).core.status();
  const lines: string[] = [];
  const core = h.node(id).core;
  for (let i = s.firstIndex; i <= s.lastIndex; i++) {
    const [entry] = core.log.entries(i as typeof s.lastIndex, (i + 1) as typeof s.lastIndex, Infinity);
    if (entry === undefined) continue;
    const text = entry.type === 'confChange' ? 'conf-change' : entry.data.byteLength === 0 ? 'no-op' : new TextDecoder().decode(entry.data);
    lines.push(`${entry.index}/${entry.term} ${text}`);
  }
  return lines.length > 0 ? lines : ['(empty)'];
}

export { nodeId };
