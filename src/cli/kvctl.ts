#!/usr/bin/env node
/**
 * `kvctl`: the command-line client of a raftkv cluster. Parses the global flags, dispatches to
 * src/cli/commands/<verb>.ts, prints results as an aligned table or JSON, and maps failures to a
 * message on stderr and an exit code (0 ok, 1 error, 2 usage, 3 not found, 4 compare failed).
 */
import { commandWord, parseCommandLine, parseDuration, parseEncoding, parseEndpoints, parseOutput, TIMEOUT_DEFAULT, UsageError, type Flags } from './commands/args.js';
import { alarmCommand } from './commands/alarm.js';
import { authCommand, roleCommand, userCommand } from './commands/auth.js';
import { kvctlCredentials } from './commands/password-prompt.js';
import { casCommand } from './commands/cas.js';
import { checkCommand } from './commands/check.js';
import { clientFactory, EXIT, type Command, type CommandContext, type ExitCode } from './commands/context.js';
import { delCommand } from './commands/del.js';
import { describeError } from './commands/describe-error.js';
import { endpointCommand } from './commands/endpoint.js';
import { getCommand } from './commands/get.js';
import { commandHelp, overview } from './commands/help.js';
import { leaderCommand } from './commands/leader.js';
import { memberCommand } from './commands/member.js';
import { putCommand } from './commands/put.js';
import { scanCommand } from './commands/scan.js';
import { shardCommand } from './commands/shard.js';
import { snapshotCommand } from './commands/snapshot.js';
import { txnCommand } from './commands/txn.js';
import { watchCommand } from './commands/watch.js';
import { tlsFromFlags } from './commands/tls-flags.js';
import { Printer } from './output/printer.js';

const COMMANDS: readonly Command[] = [
  getCommand, putCommand, delCommand, scanCommand, txnCommand, casCommand, watchCommand,
  memberCommand, endpointCommand, shardCommand, leaderCommand, snapshotCommand, checkCommand, alarmCommand,
  userCommand, roleCommand, authCommand,
];

/** Stdin bytes for put and txn; bounded so a mistaken pipe cannot exhaust memory. */
const STDIN_BYTES_MAX = 64 * 1024 * 1024;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    total += buffer.byteLength;
    if (total > STDIN_BYTES_MAX) throw new UsageError(`stdin carries more than ${STDIN_BYTES_MAX} bytes`);
    chunks.push(buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function write(text: string): void {
  process.stdout.write(text);
}

async function main(argv: readonly string[]): Promise<ExitCode> {
  const { word } = commandWord(argv);
  if (word === undefined || word === 'help') {
    const topic = word === 'help' ? COMMANDS.find((c) => c.name === commandWord(argv.slice(argv.indexOf('help') + 1)).word) : undefined;
    write(`${topic === undefined ? overview(COMMANDS) : commandHelp(topic)}\n`);
    return argv.length === 0 || argv.includes('--help') || argv.includes('-h') || word === 'help' ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === word);
  if (command === undefined) throw new UsageError(`unknown command "${word}"`);
  const { positionals, flags } = parseCommandLine(argv, command.flags, command.name);
  return runCommand(command, positionals, flags);
}

async function runCommand(command: Command, positionals: readonly string[], flags: Flags): Promise<ExitCode> {
  if (flags.bool('help')) {
    write(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  const endpoints = parseEndpoints(flags.string('endpoints'), process.env['KVCTL_ENDPOINTS']);
  const timeoutMs = parseDuration(flags.string('timeout') ?? TIMEOUT_DEFAULT, 'timeout');
  const clients = clientFactory(endpoints, timeoutMs, await kvctlCredentials(flags), tlsFromFlags(flags, process.env));
  const context: CommandContext = {
    endpoints, timeoutMs, encoding: parseEncoding(flags), out: new Printer(parseOutput(flags.string('output')), write),
    warn: (text) => process.stderr.write(`${text}\n`), flags, args: positionals.slice(1),
    client: clients.get, readStdin, stdinIsTty: process.stdin.isTTY === true,
  };
  try {
    return await command.run(context);
  } catch (error) {
    if (error instanceof UsageError && error.command === undefined) throw new UsageError(error.message, command.name);
    throw error;
  } finally {
    clients.close();
  }
}

// grpc-js sets the TLS server name to the endpoint's IP address and node prints a deprecation
// warning (DEP0123) for it: noise for someone running a command, not something they can act on.
process.noDeprecation = true;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const described = describeError(error);
    process.stderr.write(`${described.message}\n`);
    process.exitCode = described.exitCode;
  },
);
