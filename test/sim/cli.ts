/**
 * Goal: the command line of the simulator (`npm run test:sim -- ...`). Method: run seeds 1..N (or
 * from --from) for each cluster size, or one seed verbosely; print run time, events simulated and
 * rates; exit non-zero on any violation, printing its one-line replay command.
 *   --seeds N       run N seeds (default 100)        --from S     first seed (default 1)
 *   --seed S        run one seed, printing every event
 *   --nodes 3,5     cluster sizes (default 3,5)      --profile swarm|figure8 (default swarm)
 *   --mutation M    inject a bug (see mutations.ts)  --stop      stop at the first failure
 *   --lease-drift D force lease reads on with clock drift D (e.g. 0.5, beyond the core's bound)
 *   --pause-drops-ticks  a paused node loses its missed ticks instead of replaying them
 */
import { parseArgs } from 'node:util';
import { isMutationName } from './mutations.js';
import { describeFailure, runSeed, type SeedParams } from './run-seed.js';
import { PROFILES, type Profile } from './swarm.js';
import { parseCount, printedHelp } from './cli-args.js';

function parseProfile(text: string): Profile {
  const profile = PROFILES.find((p) => p === text);
  if (profile === undefined) throw new Error(`Unknown profile "${text}" (choose ${PROFILES.join(', ')})`);
  return profile;
}

function main(): number {
  if (printedHelp(process.argv, import.meta.url)) return 0;
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '100' },
      from: { type: 'string', default: '1' },
      seed: { type: 'string' },
      nodes: { type: 'string', default: '3,5' },
      profile: { type: 'string', default: 'swarm' },
      mutation: { type: 'string', default: 'none' },
      stop: { type: 'boolean', default: false },
      'lease-drift': { type: 'string' },
      'pause-drops-ticks': { type: 'boolean', default: false },
    },
  });
  const mutation = values.mutation;
  if (!isMutationName(mutation)) throw new Error(`Unknown mutation "${mutation}"`);
  const profile = parseProfile(values.profile);
  const sizes = values.nodes.split(',').map((n) => parseCount(n, '--nodes'));
  const verbose = values.seed !== undefined;
  const first = verbose ? parseCount(values.seed ?? '', '--seed') : parseCount(values.from, '--from');
  const count = verbose ? 1 : parseCount(values.seeds, '--seeds');
  const driftText = values['lease-drift'];
  const leaseDrift = driftText === undefined ? undefined : Number(driftText);
  if (leaseDrift !== undefined && !(leaseDrift >= 0 && leaseDrift < 1)) throw new Error(`--lease-drift must be in [0, 1), got "${driftText}"`);

  const started = performance.now();
  let events = 0;
  let runs = 0;
  let quiescedRuns = 0;
  let quiescedWakeRuns = 0;
  const failures: string[] = [];
  for (let seed = first; seed < first + count; seed++) {
    for (const nodeCount of sizes) {
      const params: SeedParams = {
        seed, nodeCount, profile, mutation,
        ...(leaseDrift === undefined ? {} : { leaseDrift }),
        ...(values['pause-drops-ticks'] ? { pauseDropsTicks: true } : {}),
        ...(verbose ? { print: (line: string) => console.log(line) } : {}),
      };
      const result = runSeed(params);
      events += result.events;
      runs++;
      if ((result.stats['quiesceHeartbeats'] ?? 0) > 0) quiescedRuns++;
      if ((result.stats['quiescedWakesOnLostLeader'] ?? 0) > 0) quiescedWakeRuns++;
      if (verbose) console.log(JSON.stringify({ options: result.options, stats: result.stats }));
      if (result.violation !== null) {
        const text = describeFailure(result, verbose ? 0 : 25);
        failures.push(text.split('\n')[1] ?? '');
        console.log(text);
        if (values.stop) break;
      }
    }
    if (values.stop && failures.length > 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`${runs} runs, ${events} events in ${seconds.toFixed(2)} s: ${(runs / seconds).toFixed(1)} runs/s, ${Math.round(events / seconds)} events/s`);
  console.log(`quiescence: groups went quiet in ${quiescedRuns} runs; a quiet follower was woken by lost contact in ${quiescedWakeRuns}`);
  if (failures.length === 0) return 0;
  console.log(`${failures.length} failing run(s):\n${failures.join('\n')}`);
  return 1;
}

process.exitCode = main();
