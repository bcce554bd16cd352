/**
 * raftkv's benchmark driver: starts raftkv and/or etcd clusters of real processes, drives them with
 * the same load generator, injects faults, and writes results.json, report.html and summary.md.
 *
 *   npx tsx bench/run.ts --compare etcd --scenario all          # the full comparison (~12 min)
 *   npx tsx bench/run.ts --scenario write-64 --seconds 5          # one scenario, raftkv only
 *   npx tsx bench/run.ts --list                                   # the scenario catalogue
 *
 * See bench/README.md for every flag and what each figure means.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, runOptions, type RunOptions } from './cli/options.js';
import { Progress } from './cli/progress.js';
import { usage } from './cli/usage.js';
import { compare } from './report/compare.js';
import { htmlReport } from './report/html.js';
import { markdownSummary } from './report/markdown.js';
import { machineMeta, versionsMeta, type RunMeta } from './report/meta.js';
import { catalog } from './scenarios/catalog.js';
import { estimate, offeredRate, planSteps, runLabel } from './scenarios/plan.js';
import type { ScenarioOutcome } from './scenarios/result.js';
import { runScenario } from './scenarios/scenario-runner.js';
import { etcdTarget } from './targets/etcd-target.js';
import { chooseNetMode, startNetwork, type NetMode } from './targets/network.js';
import { raftkvTarget } from './targets/raftkv-target.js';
import { BENCH_TLS_ENV } from './client/grpc-unary.js';
import type { TargetDefinition } from './targets/target.js';

const benchDir = fileURLToPath(new URL('./', import.meta.url));

function targetsOf(options: RunOptions): Map<string, TargetDefinition> {
  return new Map(options.targets.map((name) => [name, name === 'raftkv' ? raftkvTarget(options.raftkv) : etcdTarget(options.etcd)]));
}

function outDirOf(options: RunOptions): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
  const dir = options.outDir ?? join(benchDir, 'results', stamp);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function oneLine(o: ScenarioOutcome): string {
  const name = runLabel(o.scenario.name, o.round);
  if (!o.ok) return `  ✗ ${name} on ${o.target}: ${o.error}`;
  const kind = o.write.ok >= o.read.ok ? o.write : o.read;
  const fault = o.fault === null ? '' : ` · write unavailable ${o.fault.write.unavailableMs} ms, read ${o.fault.read.unavailableMs} ms, new leader ${o.fault.timeToNewLeaderMs ?? 'none'} ms`;
  return `  ✓ ${name} on ${o.target}: ${o.opsPerSec} ops/s · p50 ${kind.latencyMs?.p50 ?? '–'} ms · p99 ${kind.latencyMs?.p99 ?? '–'} ms · ` +
    `server CPU ${o.serverCpuUsPerOp ?? '–'} µs/op${fault}`;
}

function writeReports(dir: string, meta: RunMeta, outcomes: readonly ScenarioOutcome[]): string {
  const rows = compare(outcomes);
  const summary = markdownSummary(meta, outcomes, rows);
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify({ meta, comparison: rows, results: outcomes }, null, 1)}\n`);
  writeFileSync(join(dir, 'summary.md'), `${summary}\n`);
  writeFileSync(join(dir, 'report.html'), htmlReport(meta, outcomes, rows));
  return summary;
}

async function runAll(options: RunOptions, mode: NetMode, outDir: string, meta: Omit<RunMeta, 'finishedAt'>): Promise<ScenarioOutcome[]> {
  const targets = targetsOf(options);
  const { steps, skipped } = planSteps(options, mode);
  for (const note of skipped) console.error(`bench: skipping ${note}`);
  const progress = new Progress(steps.map((s) => estimate(s, options)));
  const network = await startNetwork(mode, Math.max(...options.scenarios.map((s) => s.nodes)));
  const outcomes: ScenarioOutcome[] = [];
  progress.start();
  try {
    for (const step of steps) {
      progress.nextStep();
      const target = targets.get(step.target);
      if (target === undefined) continue;
      let outcome: ScenarioOutcome;
      try {
        outcome = await runScenario(step, target, offeredRate(step, outcomes), { options, network, progress, outDir });
      } catch (error) {
        outcome = { ok: false, scenario: step.scenario, target: step.target, round: step.round, error: error instanceof Error ? error.message : String(error) };
      }
      outcomes.push(outcome);
      progress.note(oneLine(outcome));
      writeReports(outDir, { ...meta, finishedAt: '(running)' }, outcomes);
    }
  } finally {
    progress.stop();
    await network.teardown();
  }
  return outcomes;
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.help === true) return (console.log(usage), 0);
  if (flags.list === true) return (catalog.forEach((s) => console.log(`${s.name.padEnd(28)} ${s.description}`)), 0);
  const options = runOptions(flags);
  if (options.raftkv.tls) {
    if (options.targets.includes('etcd')) return (console.error('bench: --tls applies to raftkv only; drop --compare etcd / --target etcd'), 2);
    // The generator processes inherit this and dial with TLS (bench/client/grpc-unary.ts).
    process.env[BENCH_TLS_ENV] = '1';
  }
  for (const target of targetsOf(options).values()) {
    const problem = target.missing();
    if (problem !== undefined) return (console.error(`bench: ${problem}`), 2);
  }
  const net = chooseNetMode(options.net);
  if (net.note !== '') console.error(`bench: ${net.note}`);
  const outDir = outDirOf(options);
  console.error(`bench: writing to ${outDir}`);
  const meta = {
    startedAt: new Date().toISOString(), command: `npx tsx bench/run.ts ${argv.join(' ')}`.trim(), machine: machineMeta(), ...versionsMeta(),
    network: net.mode === 'netns' ? 'one network namespace per server, clients over a bridge' : 'loopback',
    targets: Object.fromEntries([...targetsOf(options)].map(([name, t]) => [name, t.settings])),
    client: { dataRoot: options.dataRoot ?? tmpdir(), connections: options.connections, deadlineMs: options.deadlineMs, errorBackoffMs: options.errorBackoffMs, seed: options.seed,
      faultAtSeconds: options.faultAtSeconds, faultSeconds: options.faultSeconds, afterHealSeconds: options.afterHealSeconds },
  };
  const outcomes = await runAll(options, net.mode, outDir, meta);
  const summary = writeReports(outDir, { ...meta, finishedAt: new Date().toISOString() }, outcomes);
  console.log(summary);
  console.error(`bench: report in ${join(outDir, 'report.html')}`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

// Ctrl-C: exit through process.exit so every exit hook runs (servers, namespaces, generators).
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
