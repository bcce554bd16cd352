// The fault-test command line: `npm run test:jepsen -- --time 120 --nemesis all --nodes 3 ...`
// (flags in run-options.ts, output described in README.md). Prints a summary and exits 0 when
// every check passed, 1 on a violation, 2 on a usage or harness error, 3 when the linearizability
// search ran out of budget on some key.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runJepsen } from './run-jepsen.js';
import { parseRunArgs, usage, type RunOptions } from './run-options.js';

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  let options: RunOptions;
  try {
    options = parseRunArgs(argv, Date.now() % 1_000_000_000);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    console.warn('[jepsen] NOT running as root: network namespaces and iptables are unavailable.');
  }
  console.log(`[jepsen] seed ${options.seed}: ${options.nodes} nodes, ${options.timeS} s, nemesis ${options.nemeses.join(',') || 'none'}, workload ${options.workloads.join(',')}`);
  try {
    const outcome = await runJepsen(options);
    console.log(outcome.summary);
    return outcome.exitCode;
  } catch (error) {
    console.error('[jepsen] harness error:', error);
    return 2;
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  // Exit through process.exit so every 'exit' hook runs: node processes are SIGKILLed
  // (support/serve-process.ts) and namespaces removed (net/netns-cleanup.ts) on Ctrl-C too.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));
  main(process.argv.slice(2)).then((code) => process.exit(code), (error: unknown) => {
    console.error(error);
    process.exit(2);
  });
}
