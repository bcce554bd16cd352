/**
 * The comparison table is what the benchmark reports as raftkv against etcd: the ratio of each
 * figure, and with --repeat the medians and the spread of the per-round ratios.
 */
import { describe, expect, it } from 'vitest';
import { compare, median } from '../../../bench/report/compare.js';
import { comparisonTable } from '../../../bench/report/markdown.js';
import { findScenario } from '../../../bench/scenarios/catalog.js';
import { planSteps, runLabel } from '../../../bench/scenarios/plan.js';
import type { ScenarioResult } from '../../../bench/scenarios/result.js';
import type { RunOptions } from '../../../bench/cli/options.js';

const write64 = findScenario('write-64');
if (write64 === undefined) throw new Error('the catalogue lost write-64');

function result(target: 'raftkv' | 'etcd', round: number, opsPerSec: number, cpuUsPerOp: number): ScenarioResult {
  const write = { ok: opsPerSec * 10, opsPerSec, latencyMs: { p50: 10, p90: 20, p99: 30, p999: 40, max: 50, mean: 12 }, errors: {} };
  return {
    ok: true, scenario: write64 as NonNullable<typeof write64>, target, round, offeredRate: null, measuredSeconds: 10, opsPerSec, write,
    read: { ok: 0, opsPerSec: 0, latencyMs: null, errors: {} }, servers: [{ node: 1, cpuSeconds: 1, cpuPct: 10, rssMbMax: 100 }],
    serverCpuSeconds: 1, serverCpuUsPerOp: cpuUsPerOp, generator: { processes: 1, cpuSeconds: 1, cpuPct: 50, cpuUsPerOp: 10 },
    otherCpuPct: 0, timeline: [], leaderAtStart: 1, elections: 0, leaderEvents: [], fault: null, serverFailures: [], profile: null, logDir: '/tmp',
  };
}

const row = (rows: ReturnType<typeof compare>, figure: string) => {
  const found = rows.find((r) => r.figure === figure);
  if (found === undefined) throw new Error(`no row ${figure}`);
  return found;
};

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNull();
  });
});

describe('compare', () => {
  it('with one round gives the plain ratio and no range', () => {
    const rows = compare([result('raftkv', 1, 5000, 200), result('etcd', 1, 6000, 150)]);
    const throughput = row(rows, 'write throughput');
    expect(throughput).toMatchObject({ raftkv: 5000, etcd: 6000, ratio: 0.83, rounds: 1, ratioRange: null, favours: 'etcd' });
    expect(row(rows, 'server CPU per op (all members)')).toMatchObject({ ratio: 1.33, favours: 'etcd' });
    expect(comparisonTable(rows)).toContain('| write-64 | write throughput (ops/s) | 5,000 | 6,000 | 0.83× | etcd |');
  });

  it('with rounds compares the medians and gives the range of the per-round ratios', () => {
    const rows = compare([
      result('raftkv', 1, 5000, 200), result('etcd', 1, 6000, 150),
      result('raftkv', 2, 7000, 180), result('etcd', 2, 6000, 160),
      result('raftkv', 3, 5500, 190), result('etcd', 3, 5000, 170),
    ]);
    const throughput = row(rows, 'write throughput');
    // Medians 5,500 and 6,000; the rounds alone gave 0.83×, 1.17× and 1.1×.
    expect(throughput).toMatchObject({ raftkv: 5500, etcd: 6000, ratio: 0.92, rounds: 3, ratioRange: [0.83, 1.17], favours: 'etcd' });
    const table = comparisonTable(rows);
    expect(table).toContain('ratio per round (min – max, rounds)');
    expect(table).toContain('| 0.92× | 0.83× – 1.17× (3) | etcd |');
  });

  it('pairs rounds by number and skips a round one side failed', () => {
    const rows = compare([
      result('raftkv', 1, 5000, 200), result('etcd', 1, 5000, 150),
      result('raftkv', 2, 6000, 200),
      { ok: false, scenario: write64, target: 'etcd', round: 2, error: 'etcd did not start' },
    ]);
    expect(row(rows, 'write throughput')).toMatchObject({ raftkv: 5500, etcd: 5000, ratio: 1.1, rounds: 1, ratioRange: null, favours: 'raftkv' });
  });

  it('leaves out a scenario only one target ran', () => {
    expect(compare([result('raftkv', 1, 5000, 200)])).toEqual([]);
  });
});

describe('planSteps', () => {
  it('repeats the whole plan round by round, both targets back to back', () => {
    const options = { scenarios: [write64], targets: ['raftkv', 'etcd'], repeat: 2 } as unknown as RunOptions;
    const { steps } = planSteps(options, 'netns');
    expect(steps.map((s) => `${runLabel(s.scenario.name, s.round)} ${s.target}`))
      .toEqual(['write-64 raftkv', 'write-64 etcd', 'write-64 #2 raftkv', 'write-64 #2 etcd']);
  });
});
