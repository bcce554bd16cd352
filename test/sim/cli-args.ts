/** Argument parsing shared by the simulator CLIs (cli.ts, multi/cli.ts). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function parseCount(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a non-negative integer, got "${text}"`);
  return value;
}

/**
 * `--help`: prints the CLI file's leading doc comment, which is where each CLI lists its options,
 * so the two never drift apart. True if it printed.
 */
export function printedHelp(argv: readonly string[], cliFileUrl: string): boolean {
  if (!argv.includes('--help') && !argv.includes('-h')) return false;
  const source = readFileSync(fileURLToPath(cliFileUrl), 'utf8');
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
  console.log(comment.split('\n').map((line) => line.replace(/^\s*\* ?/, '')).join('\n').trim());
  return true;
}
