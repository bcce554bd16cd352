// Files of a run directory: history.jsonl (HISTORY.md format), bank.jsonl, nemesis.jsonl (the
// planned schedule, the steps the runner applied, and the network rules it installed, all on the
// history's clock), and results.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NemesisLogEntry } from '../nemesis/runner.js';
import type { NemesisSchedule } from '../nemesis/schedule.js';
import type { NetFaultEntry } from '../harness/network.js';

export interface RunFiles {
  readonly history: string;
  readonly bank?: string;
  readonly schedule: NemesisSchedule;
  readonly nemesisLog: readonly NemesisLogEntry[];
  readonly netLog: readonly NetFaultEntry[];
  readonly results: Record<string, unknown>;
}

export function nemesisLines(schedule: NemesisSchedule, log: readonly NemesisLogEntry[], net: readonly NetFaultEntry[]): string {
  const lines: unknown[] = [
    { type: 'plan', seed: schedule.seed, runMs: schedule.runMs, healAt: schedule.healAt },
    ...schedule.events.map((event) => ({ type: 'schedule', ...event })),
    ...log.map((entry) => ({ type: 'applied', ...entry, timeNs: Number(entry.timeNs) })),
    ...net.map((entry) => ({ type: 'net', ...entry, timeNs: Number(entry.timeNs) })),
  ];
  return lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
}

export function writeRunFiles(runDir: string, files: RunFiles): void {
  writeFileSync(join(runDir, 'history.jsonl'), files.history);
  if (files.bank !== undefined) writeFileSync(join(runDir, 'bank.jsonl'), files.bank);
  writeFileSync(join(runDir, 'nemesis.jsonl'), nemesisLines(files.schedule, files.nemesisLog, files.netLog));
  writeFileSync(join(runDir, 'results.json'), JSON.stringify(files.results, null, 2) + '\n');
}
