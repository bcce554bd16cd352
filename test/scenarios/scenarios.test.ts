/**
 * Runs every test/scenarios/*.txt file (etcd-raft's datadriven style): each stanza is a command,
 * `----`, and the golden output (node log lines, then what the command reports). `REWRITE=1 npm
 * test` regenerates the golden text; read the diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newHarness, parseCommand, runCommand } from './commands.js';
import type { Harness } from './harness.js';

const dir = new URL('.', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

interface Stanza {
  readonly comments: string[];
  readonly command: string;
  readonly expected: string;
}

function parseFile(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  const blocks = text.split(/\n\s*\n/).filter((b) => b.trim().length > 0);
  for (const block of blocks) {
    const lines = block.split('\n');
    const sep = lines.indexOf('----');
    if (sep < 0) throw new Error(`Stanza without ----:\n${block}`);
    const head = lines.slice(0, sep);
    const comments = head.filter((l) => l.startsWith('#'));
    const command = head.filter((l) => !l.startsWith('#')).join(' ').trim();
    stanzas.push({ comments, command, expected: lines.slice(sep + 1).join('\n').trim() });
  }
  return stanzas;
}

function render(stanzas: readonly Stanza[], outputs: readonly string[]): string {
  return stanzas.map((s, i) => [...s.comments, s.command, '----', outputs[i] ?? ''].join('\n')).join('\n\n') + '\n';
}

function execute(stanzas: readonly Stanza[]): string[] {
  let harness: Harness | undefined;
  return stanzas.map((stanza) => {
    const cmd = parseCommand(stanza.command);
    if (cmd.name === 'cluster') {
      harness = newHarness(cmd);
      return 'ok';
    }
    if (harness === undefined) throw new Error('The first command must be "cluster"');
    const before = harness.output.length;
    const reported = runCommand(harness, cmd);
    const logged = harness.output.slice(before);
    const all = [...logged, ...reported];
    return all.length > 0 ? all.join('\n') : 'ok';
  });
}

describe('raft scenarios', () => {
  it.each(files)('%s', (file) => {
    const path = join(dir, file);
    const stanzas = parseFile(readFileSync(path, 'utf8'));
    const outputs = execute(stanzas);
    if (process.env['REWRITE'] === '1') {
      writeFileSync(path, render(stanzas, outputs));
      return;
    }
    stanzas.forEach((stanza, i) => {
      expect(outputs[i], `${file}: ${stanza.command}`).toBe(stanza.expected);
    });
  });
});
