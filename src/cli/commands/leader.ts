/** `kvctl leader transfer ID`: moves leadership to another voter. */
import { expectArgs, parseCount, UsageError } from './args.js';
import { EXIT, type Command } from './context.js';

export const leaderCommand: Command = {
  name: 'leader',
  usage: ['leader transfer ID'],
  brief: 'leader transfer ID',
  summary: 'move leadership to node ID',
  details: 'move leadership to node ID (waits until it leads)',
  flags: {},
  async run(context) {
    const [verb, ...rest] = context.args;
    if (verb !== 'transfer') throw new UsageError(verb === undefined ? 'leader: missing transfer' : `leader: unknown subcommand "${verb}" (transfer)`, 'leader');
    const [idText = ''] = expectArgs(rest, ['ID'], 'leader transfer');
    const result = await context.client().leaderTransfer(parseCount(idText, 'ID', 1));
    context.out.show({
      note: `Leadership moved to node ${result.leaderId}`,
      columns: ['LEADER', 'TERM'],
      rows: [[String(result.leaderId), String(result.term)]],
      json: result,
    });
    return EXIT.ok;
  },
};
