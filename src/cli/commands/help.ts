/** kvctl's help text: the overview (`kvctl --help`) and one command's (`kvctl get --help`). */
import { GLOBAL_FLAGS, type FlagSpecs } from './args.js';
import type { Command } from './context.js';

function flagLines(flags: FlagSpecs): string[] {
  const entries = Object.entries(flags).map(([name, spec]) => {
    const short = spec.short === undefined ? '    ' : `-${spec.short}, `;
    return [`${short}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`, spec.help] as const;
  });
  const width = Math.max(0, ...entries.map(([left]) => left.length));
  return entries.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
}

const EXIT_CODES = `Exit codes:
  0  ok
  1  error (unreachable cluster, timeout, server error, check failed)
  2  usage (bad command, flag or argument)
  3  key not found (get)
  4  compare failed (cas, or txn ran its else branch)`;

export function overview(commands: readonly Command[]): string {
  const usages = commands.map((c) => [c.brief, c.summary] as const);
  const width = Math.max(...usages.map(([u]) => u.length));
  return [
    'kvctl: command-line client of a raftkv cluster',
    '',
    'Usage: kvctl COMMAND [ARGS] [FLAGS]',
    '',
    'Commands:',
    ...usages.map(([u, summary]) => `  ${u.padEnd(width)}  ${summary}`.trimEnd()),
    '',
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
    '',
    'Binary keys and values print escaped (\\n, \\t, \\xNN, \\\\); use --hex or --base64 to read and print them exactly.',
    'Put -- before a value that starts with "-": kvctl put k -- -1',
    '',
    EXIT_CODES,
    '',
    "Run 'kvctl COMMAND --help' for a command's flags.",
  ].join('\n');
}

export function commandHelp(command: Command): string {
  const own = Object.keys(command.flags).length === 0 ? [] : ['', 'Flags:', ...flagLines(command.flags)];
  return [
    `Usage:`,
    ...command.usage.map((u) => `  kvctl ${u}`),
    '',
    command.details ?? command.summary,
    ...own,
    '',
    'Global flags:',
    ...flagLines(GLOBAL_FLAGS),
  ].join('\n');
}
