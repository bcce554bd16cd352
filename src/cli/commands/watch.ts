/** `kvctl watch`: reserved; the server has no Watch RPC yet. */
import { EXIT, type Command } from './context.js';

export const watchCommand: Command = {
  name: 'watch',
  usage: ['watch KEY'],
  brief: 'watch KEY',
  summary: 'not supported yet',
  details: 'not supported yet: the server has no Watch call',
  flags: {
    prefix: { type: 'boolean', help: '(reserved)' },
  },
  run(context) {
    context.warn("kvctl: watch is not supported yet: the raftkv server has no Watch call; poll with 'kvctl get' or 'kvctl scan' instead");
    return Promise.resolve(EXIT.error);
  },
};
