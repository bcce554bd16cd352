/** `kvctl get KEY`: one key; exit code 3 when it does not exist. */
import type { Consistency } from '../../client/kv-client.js';
import { expectArgs, UsageError } from './args.js';
import { argBytes, cell, EXIT, json, type Command } from './context.js';
import { KV_COLUMNS, kvJson, kvRow } from './kv-view.js';

const CONSISTENCIES: readonly Consistency[] = ['linearizable', 'serializable', 'lease'];

export function parseConsistency(text: string | undefined): Consistency {
  if (text === undefined) return 'linearizable';
  const found = CONSISTENCIES.find((c) => c === text);
  if (found === undefined) throw new UsageError(`--consistency must be ${CONSISTENCIES.join(', ')} (got "${text}")`);
  return found;
}

export const getCommand: Command = {
  name: 'get',
  usage: ['get KEY [--consistency linearizable|serializable|lease]'],
  brief: 'get KEY',
  summary: 'read one key (exit code 3 if absent)',
  details: 'read one key (exit code 3 if it does not exist)',
  flags: {
    consistency: { type: 'string', value: 'MODE', help: 'linearizable (default), serializable (any node, may be stale) or lease' },
  },
  async run(context) {
    const [keyText] = expectArgs(context.args, ['KEY'], 'get');
    const key = argBytes(context, keyText ?? '', 'KEY');
    const consistency = parseConsistency(context.flags.string('consistency'));
    const kv = await context.client().get(key, { consistency });
    if (kv === null) {
      context.warn(`kvctl: key "${cell(context, key)}" not found`);
      if (context.out.format === 'json') context.out.show({ columns: [], rows: [], json: { found: false, key: json(context, key) } });
      return EXIT.notFound;
    }
    context.out.show({ columns: KV_COLUMNS, rows: [kvRow(context, kv)], json: { found: true, ...kvJson(context, kv) } });
    return EXIT.ok;
  },
};
