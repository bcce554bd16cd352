/** `kvctl put KEY [VALUE]`: the value from the argument, --value-file, or stdin. */
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { argBytes, cell, EXIT, json, type Command, type CommandContext } from './context.js';

async function valueOf(context: CommandContext, valueText: string | undefined): Promise<Uint8Array> {
  const file = context.flags.string('value-file');
  if (valueText !== undefined && file !== undefined) throw new UsageError('put: give VALUE or --value-file, not both', 'put');
  if (valueText !== undefined) return argBytes(context, valueText, 'VALUE');
  if (file !== undefined && file !== '-') {
    try {
      return new Uint8Array(readFileSync(file));
    } catch (error) {
      throw new UsageError(`put: cannot read --value-file "${file}": ${error instanceof Error ? error.message : String(error)}`, 'put');
    }
  }
  if (file === undefined && context.stdinIsTty) throw new UsageError('put: missing VALUE (or --value-file FILE, or pipe the value into stdin)', 'put');
  return context.readStdin();
}

export const putCommand: Command = {
  name: 'put',
  usage: ['put KEY VALUE', 'put KEY --value-file FILE', 'put KEY < FILE'],
  brief: 'put KEY [VALUE]',
  summary: 'write one key (VALUE, --value-file or stdin)',
  details: 'write one key (the value from the argument, a file, or stdin; files and stdin are taken as raw bytes)',
  flags: {
    'value-file': { type: 'string', value: 'FILE', help: 'read the value from FILE ("-" for stdin), byte for byte' },
    'prev-kv': { type: 'boolean', help: 'also print the previous value' },
  },
  async run(context) {
    const [keyText, valueText, extra] = context.args;
    if (keyText === undefined) throw new UsageError('put: missing KEY', 'put');
    if (extra !== undefined) throw new UsageError(`put: unexpected "${extra}" (quote values that contain spaces)`, 'put');
    const key = argBytes(context, keyText, 'KEY');
    const value = await valueOf(context, valueText);
    const prevKv = context.flags.bool('prev-kv');
    const result = await context.client().put(key, value, { prevKv });
    const prev = result.prevKv;
    const columns = prevKv ? ['KEY', 'REVISION', 'PREV_VALUE'] : ['KEY', 'REVISION'];
    const row = [cell(context, key), String(result.header.revision), ...(prevKv ? [prev === null ? '' : cell(context, prev.value)] : [])];
    const prevJson = prevKv ? { prevValue: prev === null ? null : json(context, prev.value) } : {};
    context.out.show({ columns, rows: [row], json: { key: json(context, key), revision: result.header.revision, ...prevJson } });
    return EXIT.ok;
  },
};
