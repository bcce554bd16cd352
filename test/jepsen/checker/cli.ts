// Goal: check a recorded history from the command line and leave evidence for a failure.
// Usage: tsx test/jepsen/checker/cli.ts history.jsonl [--out DIR] [--steps-max-per-key N]
// Exit codes: 0 linearizable, 1 not linearizable, 2 bad input or usage, 3 unknown (search budget
// ran out). Method: parse, check, print a summary per key and a text timeline per failing key; with
// --out, also write <DIR>/key-<n>.txt and .html for each failing key. `main` takes its arguments
// and output streams as parameters so tests can run it in-process.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HistoryError, parseHistory, type Operation } from './history.js';
import { checkHistory, type CheckResult, type KeyFailure, type KeyResult } from './linearizability.js';
import { buildTimelineView, renderHtmlTimeline, renderTextTimeline } from './timeline.js';

export const exitCodes = { valid: 0, invalid: 1, badInput: 2, unknown: 3 } as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

interface CliArgs {
  readonly historyPath: string;
  readonly outDir?: string;
  readonly stepsMaxPerKey?: number;
}

const printedTimelinesMax = 3;

const usage = 'Usage: tsx test/jepsen/checker/cli.ts history.jsonl [--out DIR] [--steps-max-per-key N]';

/** Returns the parsed arguments, or an error message. */
export function parseArgs(argv: readonly string[]): CliArgs | string {
  let historyPath: string | undefined;
  let outDir: string | undefined;
  let stepsMaxPerKey: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--out' || arg === '--steps-max-per-key') {
      const value = argv[i + 1];
      if (value === undefined) return `Missing value after ${arg}`;
      i += 1;
      if (arg === '--out') outDir = value;
      else if (/^[1-9][0-9]*$/.test(value)) stepsMaxPerKey = Number(value);
      else return `Cannot use --steps-max-per-key ${JSON.stringify(value)}: expected a positive integer`;
    } else if (arg !== undefined && !arg.startsWith('--') && historyPath === undefined) {
      historyPath = arg;
    } else {
      return `Unexpected argument ${JSON.stringify(arg)}`;
    }
  }
  if (historyPath === undefined) return 'Missing history file';
  return {
    historyPath,
    ...(outDir === undefined ? {} : { outDir }),
    ...(stepsMaxPerKey === undefined ? {} : { stepsMaxPerKey }),
  };
}

function keyLine(key: KeyResult): string {
  const verdict = key.valid === true ? 'linearizable' : key.valid === false ? 'NOT linearizable' : 'UNKNOWN (step budget exhausted)';
  return `  key ${JSON.stringify(key.key)}: ${verdict} (${key.opCount} ops checked, ${key.infoCount} info, ${key.droppedCount} dropped, ${key.steps} steps)`;
}

function verdictLine(result: CheckResult): string {
  if (result.valid === true) return 'Verdict: linearizable';
  if (result.valid === false) return `Verdict: NOT linearizable (${result.failures.length} failing key(s))`;
  return 'Verdict: unknown (search budget exhausted on some key; increase --steps-max-per-key)';
}

function writeTimelines(ops: readonly Operation[], failures: readonly KeyFailure[], outDir: string, io: CliIo): void {
  mkdirSync(outDir, { recursive: true });
  for (const [i, failure] of failures.entries()) {
    const view = buildTimelineView(ops, failure);
    // Keys are arbitrary text, so files are numbered; the key is inside each file.
    const base = join(outDir, `key-${i + 1}`);
    writeFileSync(`${base}.txt`, renderTextTimeline(view));
    writeFileSync(`${base}.html`, renderHtmlTimeline(view));
    io.stdout(`Wrote ${base}.txt and ${base}.html for key ${JSON.stringify(failure.key)}\n`);
  }
}

function readOps(path: string, io: CliIo): Operation[] | undefined {
  try {
    return parseHistory(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof HistoryError) io.stderr(`${path}: ${error.message}\n`);
    else io.stderr(`Cannot read history ${JSON.stringify(path)}: ${error instanceof Error ? error.message : String(error)}\n`);
    return undefined;
  }
}

/** Runs the checker; returns the process exit code. */
export function main(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`${args}\n${usage}\n`);
    return exitCodes.badInput;
  }
  const ops = readOps(args.historyPath, io);
  if (ops === undefined) return exitCodes.badInput;
  const options = args.stepsMaxPerKey === undefined ? {} : { stepsMaxPerKey: args.stepsMaxPerKey };
  const result = checkHistory(ops, options);
  io.stdout(`${args.historyPath}: ${ops.length} operations on ${result.keys.length} key(s)\n`);
  for (const key of result.keys) io.stdout(`${keyLine(key)}\n`);
  // Bounded so a run with many failing keys stays readable; --out has every key.
  for (const failure of result.failures.slice(0, printedTimelinesMax)) {
    io.stdout(`\n${renderTextTimeline(buildTimelineView(ops, failure))}`);
  }
  const unprinted = result.failures.length - printedTimelinesMax;
  if (unprinted > 0) io.stdout(`\n(${unprinted} more failing key(s) not shown; use --out DIR to get all timelines)\n`);
  if (args.outDir !== undefined && result.failures.length > 0) writeTimelines(ops, result.failures, args.outDir, io);
  io.stdout(`${verdictLine(result)}\n`);
  if (result.valid === true) return exitCodes.valid;
  return result.valid === false ? exitCodes.invalid : exitCodes.unknown;
}

const entryPath = process.argv[1];
if (entryPath !== undefined && import.meta.url === pathToFileURL(resolve(entryPath)).href) {
  process.exitCode = main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
