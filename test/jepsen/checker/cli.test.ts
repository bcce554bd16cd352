// Goal: the CLI's exit codes and files are what CI scripts rely on: 0 linearizable, 1 not, 2 bad
// input, 3 unknown, timelines in --out. Method: run `main` in-process on histories written to a
// temporary directory, capturing its output; one test spawns the real entry point through tsx to
// prove the file runs as a script.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodes, main, parseArgs } from './cli.js';
import { read, toEvents, toJsonl, write, type OpSpec } from './testkit.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-checker-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function historyFile(name: string, specs: readonly OpSpec[]): string {
  const path = join(dir, name);
  writeFileSync(path, toJsonl(toEvents(specs)));
  return path;
}

function run(argv: readonly string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

const good = [write(0, 'a', 0, 10), read(1, 'a', 20, 30)];
const stale = [write(0, 'a', 0, 10), write(0, 'b', 20, 30), read(1, 'a', 40, 50)];

describe('cli main()', () => {
  it('main() exits 0 and prints the verdict for a linearizable history', () => {
    const result = run([historyFile('good.jsonl', good)]);
    expect(result.code).toBe(exitCodes.valid);
    expect(result.stdout).toContain('key "k": linearizable');
    expect(result.stdout).toContain('Verdict: linearizable');
  });

  it('main() exits 1 and writes text and HTML timelines for each failing key into --out', () => {
    const out = join(dir, 'timelines');
    const result = run([historyFile('stale.jsonl', stale), '--out', out]);
    expect(result.code).toBe(exitCodes.invalid);
    expect(result.stdout).toContain('Verdict: NOT linearizable');
    expect(readFileSync(join(out, 'key-1.txt'), 'utf8')).toContain('read returned "a" but the register held "b"');
    expect(readFileSync(join(out, 'key-1.html'), 'utf8')).toContain('<!DOCTYPE html>');
  });

  it('main() exits 1 without writing files when --out is not given', () => {
    const result = run([historyFile('stale2.jsonl', stale)]);
    expect(result.code).toBe(exitCodes.invalid);
    expect(result.stdout).not.toContain('Wrote');
  });

  it('main() exits 3 when the step budget runs out', () => {
    const busy = [write(0, 'a', 0, 100), write(1, 'b', 0, 100), read(2, 'a', 0, 100), read(3, 'b', 150, 160)];
    const result = run([historyFile('busy.jsonl', busy), '--steps-max-per-key', '2']);
    expect(result.code).toBe(exitCodes.unknown);
    expect(result.stdout).toContain('Verdict: unknown');
  });

  it('main() exits 2 with the line number for a malformed history', () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"process":0,"type":"invoke","f":"read","key":"k","value":null,"time":1}\n{"process":0,"type":"ok","valu":"a","time":2}\n');
    const result = run([path]);
    expect(result.code).toBe(exitCodes.badInput);
    expect(result.stderr).toContain('History line 2: Cannot read event: unknown field "valu"');
  });

  it('main() exits 2 for a missing file and for bad arguments', () => {
    expect(run([join(dir, 'absent.jsonl')]).code).toBe(exitCodes.badInput);
    expect(run([]).code).toBe(exitCodes.badInput);
    expect(run(['a.jsonl', '--bogus']).code).toBe(exitCodes.badInput);
    expect(run(['a.jsonl', '--steps-max-per-key', '0']).code).toBe(exitCodes.badInput);
    expect(run(['a.jsonl', '--out']).code).toBe(exitCodes.badInput);
  });

  it('parseArgs() reads the history path, --out and --steps-max-per-key in any order', () => {
    expect(parseArgs(['--out', 'o', 'h.jsonl', '--steps-max-per-key', '50'])).toEqual({ historyPath: 'h.jsonl', outDir: 'o', stepsMaxPerKey: 50 });
    expect(parseArgs(['h.jsonl'])).toEqual({ historyPath: 'h.jsonl' });
  });

  it('cli.ts run through tsx exits with the verdict code', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const tsx = join(here, '../../../node_modules/.bin/tsx');
    expect(existsSync(tsx)).toBe(true);
    const child = spawnSync(tsx, [join(here, 'cli.ts'), historyFile('cli-stale.jsonl', stale)], { encoding: 'utf8' });
    expect(child.status).toBe(exitCodes.invalid);
    expect(child.stdout).toContain('Verdict: NOT linearizable');
  });
});
