/** `kvctl member list|add|remove|promote`: the group's membership. */
import type { MemberList } from '../../client/kv-client.js';
import { expectArgs, parseCount, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext } from './context.js';

const NODE_ID_MAX = Number.MAX_SAFE_INTEGER;

function show(context: CommandContext, list: MemberList, note?: string): void {
  const rows = list.members.map((m) => [String(m.nodeId), m.address, m.isLearner ? 'learner' : 'voter', m.nodeId === list.leaderId ? 'yes' : 'no']);
  context.out.show({
    ...(note === undefined ? {} : { note }),
    columns: ['ID', 'ADDRESS', 'ROLE', 'LEADER'],
    rows,
    json: { leaderId: list.leaderId, members: list.members.map((m) => ({ ...m, isLeader: m.nodeId === list.leaderId })) },
  });
}

async function change(context: CommandContext, verb: string, args: readonly string[]): Promise<void> {
  const client = context.client();
  if (verb === 'add') {
    const [idText = '', address = ''] = expectArgs(args, ['ID', 'ADDR'], 'member add');
    const voter = context.flags.bool('voter');
    const list = await client.memberAdd(parseCount(idText, 'ID', 1, NODE_ID_MAX), address, { voter });
    show(context, list, `Added node ${idText} at ${address} as a ${voter ? 'voter' : 'learner'}${voter ? '' : "; promote it with 'kvctl member promote' once it has caught up"}`);
    return;
  }
  const [idText = ''] = expectArgs(args, ['ID'], `member ${verb}`);
  const id = parseCount(idText, 'ID', 1, NODE_ID_MAX);
  const list = verb === 'remove' ? await client.memberRemove(id) : await client.memberPromote(id);
  show(context, list, verb === 'remove' ? `Removed node ${id}` : `Promoted node ${id} to voter`);
}

export const memberCommand: Command = {
  name: 'member',
  usage: ['member list', 'member add ID ADDR [--voter]', 'member remove ID', 'member promote ID'],
  brief: 'member list|add|remove|promote',
  summary: "show or change the group's members",
  details: `list or change the members of the group (add joins as a learner unless --voter).

A new node starts with 'raftkv serve --join ...', then 'kvctl member add ID ADDR' adds it as a learner;
once 'kvctl endpoint status' shows it caught up, 'kvctl member promote ID' makes it a voter.
ADDR is the node's client address; a node whose peer port is not its client port + 1000 is
given as CLIENT@PEER, e.g. 10.0.0.4:7001@10.0.0.4:9001.`,
  flags: {
    voter: { type: 'boolean', help: 'member add: join as a voter at once (slows commits until it catches up)' },
  },
  async run(context) {
    const [verb, ...rest] = context.args;
    if (verb === 'list') {
      expectArgs(rest, [], 'member list');
      show(context, await context.client().members());
      return EXIT.ok;
    }
    if (verb === 'add' || verb === 'remove' || verb === 'promote') {
      await change(context, verb, rest);
      return EXIT.ok;
    }
    throw new UsageError(verb === undefined ? 'member: missing list, add, remove or promote' : `member: unknown subcommand "${verb}" (list, add, remove, promote)`, 'member');
  },
};
