// Goal: the short CI version of the Jepsen-style fault tests (issue 4). Real `raftkv serve`
// processes, each in its own network namespace (or, without root, on loopback behind link
// proxies: the runner says so loudly and never skips), real faults from a seeded schedule, and
// the history judged by the linearizability checker. Three schedules (partitions, kill -9, pause),
// then "the checker bites": a server whose linearizable reads skip ReadIndex
// (broken-read-server.ts) must be reported not linearizable when a node is cut off. Then one run
// on a sharded cluster (16 data groups on 5 nodes, 3 replicas each): clients route by the shard
// map, and partitions, kill -9, replica moves and splits hit it at once.
// Method: `runJepsen()` in-process with fixed seeds; a failing run keeps its directory (history,
// node logs, nemesis log, timelines) and the assertion message prints where it is.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realNetworkCapability } from './net/capability.js';
import type { NemesisSelection } from './nemesis/schedule.js';
import { runJepsen, type RunOutcome } from './run-jepsen.js';
import { defaultRunOptions, type RunOptions, type WorkloadName } from './run-options.js';

const outDir = mkdtempSync(join(tmpdir(), 'raftkv-jepsen-'));
let keep = false;
const runTimeoutMs = 150_000;

const capability = realNetworkCapability();
if (!capability.ok) console.warn(`[jepsen] real network unavailable (${capability.reason}): these runs use the proxy fallback`);
const mode = capability.ok ? 'network namespaces' : 'proxy fallback';

function options(seed: number, nemeses: readonly NemesisSelection[], workloads: readonly WorkloadName[], extra: Partial<RunOptions> = {}): RunOptions {
  return { ...defaultRunOptions, timeS: 20, quietS: 5, seed, nemeses, workloads, concurrency: 6, outDir, ...extra };
}

async function run(runOptions: RunOptions, note = ''): Promise<RunOutcome> {
  const outcome = await runJepsen(runOptions, () => undefined);
  console.log(`${note}${outcome.summary.split('\nfirst failing key')[0]}`);
  return outcome;
}

function verdicts(outcome: RunOutcome): Record<string, unknown> {
  return outcome.results['verdicts'] as Record<string, unknown>;
}

function appliedFaults(outcome: RunOutcome): number {
  return Number((outcome.results['nemesis'] as Record<string, unknown>)['applied']);
}

afterAll(() => {
  if (keep) console.error(`[jepsen] run directories kept for inspection under ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
});

/** A run that must pass: faults applied, no violation, linearizable, no acknowledged write lost. */
function expectPassed(outcome: RunOutcome): void {
    keep ||= outcome.exitCode !== 0;
    expect(appliedFaults(outcome), `no fault was applied; see ${outcome.runDir}`).toBeGreaterThan(0);
    expect(outcome.violations, `run ${outcome.runDir}`).toEqual([]);
    expect(verdicts(outcome)['linearizable'], `run ${outcome.runDir}`).toBe(true);
    expect(outcome.results['lostAcknowledgedWrites']).toBe(0);
}

describe(`Jepsen-style fault runs, 3 nodes (${mode})`, () => {
  it.each([
    ['partitions', 101, ['partition-halves', 'isolate-leader', 'majority-ring', 'bridge', 'one-way'], ['register', 'set']],
    ['kill -9 and restart', 202, ['kill'], ['register', 'bank']],
    ['SIGSTOP/SIGCONT', 303, ['pause'], ['register', 'set']],
  ] as const)('%s: the history is linearizable, no acknowledged write is lost, the cluster recovers', async (_name, seed, nemeses, workloads) => {
    const outcome = await run(options(seed, nemeses, workloads));
    expectPassed(outcome);
  }, runTimeoutMs);

  it('reports a server whose linearizable reads skip ReadIndex as not linearizable', async () => {
    const outcome = await run(options(3, ['isolate-leader', 'partition-halves'], ['register'], {
      serverEntry: 'test/jepsen/broken-read-server.ts', followerReads: 0.5,
    }), '[jepsen] deliberately broken read path; this run MUST fail:\n');
    keep ||= outcome.exitCode !== 1;
    expect(appliedFaults(outcome), `no fault was applied; see ${outcome.runDir}`).toBeGreaterThan(0);
    expect(verdicts(outcome)['linearizable'], `run ${outcome.runDir}`).toBe(false);
    expect(outcome.exitCode).toBe(1);
  }, runTimeoutMs);
});

describe(`Jepsen-style fault run, sharded: 16 groups on 5 nodes (${mode})`, () => {
  it('partitions, kill -9, replica moves and splits: linearizable per key, no acknowledged write lost, recovers', async () => {
    const outcome = await run(options(505, ['partition-halves', 'isolate-leader', 'kill', 'move', 'split'], ['register', 'set', 'bank'], {
      groups: 16, replicas: 3, nodes: 5, concurrency: 5,
    }));
    expectPassed(outcome);
  }, runTimeoutMs);
});
