/**
 * Goal: the command line of the multi-group simulator. Method: run seeds 1..N (or from --from) for
 * each cluster size, or one seed printing every event; print runs, events, rates and totals of the
 * interesting stats; exit non-zero on any violation, printing its one-line replay command.
 *   --seeds N       run N seeds (default 100)        --from S    first seed (default 1)
 *   --seed S        run one seed, printing every event
 *   --nodes 3,4,5   cluster sizes (default 3,5)      --stop      stop at the first failure
 *   --mutation M    split-parent-keeps-range | gc-incarnations | gc-old-server | gc-trusts-empty
 *                   | gc-no-vote-floor | gc-split-over-tombstone | gc-ignores-applied | gc-as-stated
 *                   | gc-no-tombstone | gc-removal-proof | gc-tombstone-forever (run-multi.ts)
 *   --history-only  turn the ownership checks off (linearizability must catch ownership bugs alone)
 */
import { parseArgs } from 'node:util';
import { describeMultiFailure, isMultiMutation, runMultiSeed, type MultiSeedParams } from './run-multi.js';
import { parseCount, printedHelp } from '../cli-args.js';

const TOTALS = ['opsOk', 'opsFail', 'opsInfo', 'wrongShard', 'splitsApplied', 'movesDone', 'movesAbandoned', 'nodesAdded', 'nodesDrained',
  'childrenFounded', 'childrenKept', 'childrenFoundedOverEmpty', 'replicasCreatedEmpty', 'snapshotsInstalled', 'crashes', 'linearizabilityUnknown'] as const;

function main(): number {
  if (printedHelp(process.argv, import.meta.url)) return 0;
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      seed: { type: 'string' },
      nodes: { type: 'string', default: '3,5' },
      mutation: { type: 'string', default: 'none' },
      stop: { type: 'boolean', default: false },
      'history-only': { type: 'boolean', default: false },
    },
  });
  const mutation = values.mutation;
  if (!isMultiMutation(mutation)) throw new Error(`Unknown mutation "${mutation}"`);
  const sizes = values.nodes.split(',').map((n) => parseCount(n, '--nodes'));
  const verbose = values.seed !== undefined;
  const first = verbose ? parseCount(values.seed ?? '', '--seed') : parseCount(values.from, '--from');
  const count = verbose ? 1 : parseCount(values.seeds, '--seeds');
  const started = performance.now();
  let events = 0;
  let runs = 0;
  const totals = new Map<string, number>();
  const failures: string[] = [];
  outer: for (let seed = first; seed < first + count; seed++) {
    for (const nodeCount of sizes) {
      const params: MultiSeedParams = { seed, nodeCount, mutation, historyOnly: values['history-only'], ...(verbose ? { print: (line: string) => console.log(line) } : {}) };
      const result = runMultiSeed(params);
      events += result.events;
      runs++;
      for (const name of TOTALS) totals.set(name, (totals.get(name) ?? 0) + (result.stats[name] ?? 0));
      if (verbose) console.log(JSON.stringify({ options: result.options, stats: result.stats }));
      if (result.violation === null) continue;
      const text = describeMultiFailure(result, verbose ? 0 : 25);
      failures.push(`${text.split('\n')[0] ?? ''}\n  ${text.split('\n')[1] ?? ''}`);
      console.log(text);
      if (values.stop) break outer;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${runs} runs, ${events} events in ${seconds.toFixed(2)} s: ${(runs / seconds).toFixed(1)} runs/s, ${Math.round(events / seconds)} events/s`);
  console.log([...totals].map(([name, n]) => `${name}=${n}`).join(' '));
  console.log(`${failures.length} violation(s)`);
  if (failures.length === 0) return 0;
  console.log(failures.join('\n'));
  return 1;
}

process.exitCode = main();
