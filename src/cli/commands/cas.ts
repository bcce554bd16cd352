/** `kvctl cas KEY EXPECTED NEW` / `kvctl cas --absent KEY NEW`: compare-and-swap; exit code 4 on mismatch. */
import { KvError } from '../../client/kv-client.js';
import { expectArgs } from './args.js';
import { argBytes, cell, EXIT, json, type Command } from './context.js';

export const casCommand: Command = {
  name: 'cas',
  usage: ['cas KEY EXPECTED NEW', 'cas --absent KEY NEW'],
  brief: 'cas KEY EXPECTED NEW | cas --absent KEY NEW',
  summary: 'compare-and-swap (exit code 4 on mismatch)',
  details: 'set KEY to NEW only if its value is EXPECTED (or, with --absent, only if it does not exist); exit code 4 if not',
  flags: {
    absent: { type: 'boolean', help: 'the key must not exist (no EXPECTED argument)' },
  },
  async run(context) {
    const absent = context.flags.bool('absent');
    const args = expectArgs(context.args, absent ? ['KEY', 'NEW'] : ['KEY', 'EXPECTED', 'NEW'], 'cas');
    const [keyText = '', second = '', third = ''] = args;
    const key = argBytes(context, keyText, 'KEY');
    const expected = absent ? null : argBytes(context, second, 'EXPECTED');
    const next = argBytes(context, absent ? second : third, 'NEW');
    try {
      const result = await context.client().cas(key, expected, next);
      context.out.show({
        columns: ['KEY', 'REVISION'],
        rows: [[cell(context, key), String(result.header.revision)]],
        json: { succeeded: true, key: json(context, key), revision: result.header.revision },
      });
      return EXIT.ok;
    } catch (error) {
      if (!(error instanceof KvError) || error.code !== 'CAS_MISMATCH') throw error;
      const version = error.details.currentVersion ?? 0;
      const found = version === 0 ? 'the key does not exist' : `the key is at version ${version}`;
      context.warn(`kvctl: compare failed on key "${cell(context, key)}": ${found}; read it with 'kvctl get' and retry with the current value`);
      if (context.out.format === 'json') context.out.show({ columns: [], rows: [], json: { succeeded: false, key: json(context, key), currentVersion: version } });
      return EXIT.compareFailed;
    }
  },
};
