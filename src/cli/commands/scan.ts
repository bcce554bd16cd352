/** `kvctl scan`: keys of a range in byte order, streamed page by page. */
import type { RangeSelector } from '../../client/kv-client.js';
import { parseCount, UsageError } from './args.js';
import { argBytes, EXIT, type Command, type CommandContext } from './context.js';
import { parseConsistency } from './get.js';
import { KEY_ONLY_COLUMNS, KV_COLUMNS, kvJson, kvRow, type KvJson } from './kv-view.js';

function selectorOf(context: CommandContext): RangeSelector {
  const prefix = context.flags.string('prefix');
  const start = context.flags.string('start');
  const end = context.flags.string('end');
  if (prefix !== undefined && (start !== undefined || end !== undefined)) throw new UsageError('scan: give --prefix, or --start (and --end), not both', 'scan');
  if (end !== undefined && start === undefined) throw new UsageError('scan: --end needs --start', 'scan');
  if (start !== undefined) return { start: argBytes(context, start, '--start'), ...(end === undefined ? {} : { end: argBytes(context, end, '--end') }) };
  return { prefix: argBytes(context, prefix ?? '', '--prefix') };
}

export const scanCommand: Command = {
  name: 'scan',
  usage: ['scan [--prefix P | --start S [--end E]] [--limit N] [--keys-only] [--page-size N]'],
  brief: 'scan [--prefix P | --start S [--end E]]',
  summary: 'list keys in byte order',
  details: 'list keys in byte order: by prefix, in [start, end), from start on, or all (no selector)',
  flags: {
    prefix: { type: 'string', value: 'P', help: 'keys starting with P' },
    start: { type: 'string', value: 'S', help: 'first key (inclusive)' },
    end: { type: 'string', value: 'E', help: 'end key (exclusive); without it, every key from --start on' },
    limit: { type: 'string', value: 'N', help: 'stop after N keys' },
    'keys-only': { type: 'boolean', help: 'print keys and versions, not values' },
    'page-size': { type: 'string', value: 'N', help: 'keys per request, 1..10000 (default 1000)' },
    consistency: { type: 'string', value: 'MODE', help: 'linearizable (default), serializable or lease' },
  },
  async run(context) {
    if (context.args.length > 0) throw new UsageError(`scan: unexpected "${context.args[0] ?? ''}" (use --prefix P)`, 'scan');
    const selector = selectorOf(context);
    const limitText = context.flags.string('limit');
    const pageText = context.flags.string('page-size');
    const keysOnly = context.flags.bool('keys-only');
    const range = context.client().range(selector, {
      keysOnly, consistency: parseConsistency(context.flags.string('consistency')),
      ...(limitText === undefined ? {} : { limit: parseCount(limitText, '--limit', 1) }),
      ...(pageText === undefined ? {} : { pageSize: parseCount(pageText, '--page-size', 1, 10_000) }),
    });
    const sink = context.out.stream<KvJson>(keysOnly ? KEY_ONLY_COLUMNS : KV_COLUMNS);
    try {
      for await (const kv of range) sink.add(kvRow(context, kv, keysOnly), kvJson(context, kv, keysOnly));
    } finally {
      sink.end();
    }
    return EXIT.ok;
  },
};
