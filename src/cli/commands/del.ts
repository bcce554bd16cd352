/** `kvctl del KEY`: removes one key; a missing key is not an error (DELETED false). */
import { expectArgs } from './args.js';
import { argBytes, cell, EXIT, json, type Command } from './context.js';

export const delCommand: Command = {
  name: 'del',
  usage: ['del KEY'],
  brief: 'del KEY',
  summary: 'delete one key',
  details: 'delete one key (DELETED is false if it did not exist)',
  flags: {},
  async run(context) {
    const [keyText] = expectArgs(context.args, ['KEY'], 'del');
    const key = argBytes(context, keyText ?? '', 'KEY');
    const result = await context.client().delete(key);
    context.out.show({
      columns: ['KEY', 'DELETED', 'REVISION'],
      rows: [[cell(context, key), String(result.deleted), String(result.header.revision)]],
      json: { key: json(context, key), deleted: result.deleted, revision: result.header.revision },
    });
    return EXIT.ok;
  },
};
