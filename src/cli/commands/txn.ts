/** `kvctl txn [FILE]`: an atomic transaction from a file or stdin; exit code 4 if the else branch ran. */
import { readFileSync } from 'node:fs';
import type { TxnOpResult } from '../../client/kv-client.js';
import { UsageError } from './args.js';
import { cell, EXIT, json, type Command, type CommandContext } from './context.js';
import { parseTxn, TXN_SYNTAX_HELP, TxnSyntaxError, type TxnSpec } from './txn-syntax.js';

async function source(context: CommandContext): Promise<string> {
  const [file, extra] = context.args;
  if (extra !== undefined) throw new UsageError(`txn: unexpected "${extra}"`, 'txn');
  if (file !== undefined && file !== '-') {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new UsageError(`txn: cannot read "${file}": ${error instanceof Error ? error.message : String(error)}`, 'txn');
    }
  }
  if (context.stdinIsTty) context.warn('kvctl: reading the transaction from stdin; end with Ctrl-D (see kvctl txn --help)');
  return new TextDecoder().decode(await context.readStdin());
}

function opOf(spec: TxnSpec, succeeded: boolean, i: number): { verb: string; key: Uint8Array } {
  const op = (succeeded ? spec.success : spec.failure)[i];
  if (op === undefined) return { verb: '?', key: new Uint8Array(0) };
  return { verb: op.type, key: op.type === 'range' ? new Uint8Array(0) : op.key };
}

function describe(context: CommandContext, result: TxnOpResult): { row: string[]; json: Record<string, unknown> } {
  switch (result.type) {
    case 'put':
      return { row: ['ok', ''], json: {} };
    case 'delete':
      return { row: [result.deleted ? 'deleted' : 'absent', ''], json: { deleted: result.deleted } };
    case 'get':
      return result.kv === null
        ? { row: ['absent', ''], json: { found: false } }
        : { row: [`version ${result.kv.version}`, cell(context, result.kv.value)], json: { found: true, value: json(context, result.kv.value), version: result.kv.version } };
    case 'range':
      return { row: [`${result.count} keys`, ''], json: { count: result.count } };
  }
}

export const txnCommand: Command = {
  name: 'txn',
  usage: ['txn [FILE]', 'txn < FILE'],
  brief: 'txn [FILE]',
  summary: 'atomic compares + operations (exit code 4 on else)',
  details: `run compares, then one of two lists of operations, atomically (exit code 4 if the compares failed).\n\n${TXN_SYNTAX_HELP}`,
  flags: {},
  async run(context) {
    let spec: TxnSpec;
    try {
      spec = parseTxn(await source(context), context.encoding);
    } catch (error) {
      if (error instanceof TxnSyntaxError) throw new UsageError(`txn: ${error.message}; see kvctl txn --help`, 'txn');
      throw error;
    }
    const result = await context.client().txn().if(...spec.compares).then(...spec.success).else(...spec.failure).commit();
    const rows: string[][] = [];
    const results: Record<string, unknown>[] = [];
    for (const [i, r] of result.results.entries()) {
      const { verb, key } = opOf(spec, result.succeeded, i);
      const shown = describe(context, r);
      rows.push([verb, cell(context, key), ...shown.row]);
      results.push({ op: verb, key: json(context, key), ...shown.json });
    }
    context.out.show({
      note: result.succeeded ? 'SUCCESS' : 'FAILURE',
      columns: rows.length > 0 ? ['OP', 'KEY', 'RESULT', 'VALUE'] : [],
      rows,
      json: { succeeded: result.succeeded, revision: result.header.revision, results },
    });
    return result.succeeded ? EXIT.ok : EXIT.compareFailed;
  },
};
