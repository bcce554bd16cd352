/**
 * `kvctl check perf`: a short write load test. N writers (default 16) put 256-byte values for a
 * few seconds through one client, then kvctl prints writes/s, p50 and p99 latency and judges
 * them against thresholds: PASS needs at least --min-writes writes/s (default 100), a p99 of at
 * most --max-p99 (default 500ms) and no failed writes. The defaults are deliberately modest: a
 * 3-node cluster on one 2-core laptop passes; failing them means something is badly wrong (a slow
 * disk, a node that keeps losing leadership, a saturated machine). Exit code 1 on FAIL.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from '../../client/kv-client.js';
import { parseCount, parseDuration, UsageError } from './args.js';
import { EXIT, type Command, type CommandContext } from './context.js';
import { formatMs } from './endpoint.js';
import { cleanUp, percentile, runPutLoad, type LoadOptions } from './perf-load.js';
import { checkHash } from './check-hash.js';

const DEFAULTS = { writers: 16, duration: '5s', valueBytes: 256, minWritesPerSec: 100, maxP99: '500ms' } as const;

interface Check {
  readonly metric: string;
  readonly value: string;
  readonly threshold: string;
  readonly pass: boolean;
}

function loadOptions(context: CommandContext): LoadOptions {
  const durationMs = parseDuration(context.flags.string('duration') ?? DEFAULTS.duration, 'duration');
  if (durationMs > 60_000) throw new UsageError('check perf: --duration must be at most 1m', 'check');
  return {
    writers: parseCount(context.flags.string('clients') ?? String(DEFAULTS.writers), '--clients', 1, 256),
    durationMs,
    valueBytes: parseCount(context.flags.string('value-size') ?? String(DEFAULTS.valueBytes), '--value-size', 0, 1024 * 1024),
    prefix: `kvctl-check-perf/${randomUUID().slice(0, 8)}/`,
  };
}

async function perf(context: CommandContext): Promise<boolean> {
  const options = loadOptions(context);
  const minWritesPerSec = parseCount(context.flags.string('min-writes') ?? String(DEFAULTS.minWritesPerSec), '--min-writes', 0);
  const maxP99Ms = parseDuration(context.flags.string('max-p99') ?? DEFAULTS.maxP99, 'max-p99');
  const client = createClient({ endpoints: context.endpoints, defaultDeadlineMs: context.timeoutMs, sessionsMax: options.writers });
  try {
    context.out.line(`Putting ${options.valueBytes}-byte values from ${options.writers} writers for ${options.durationMs / 1000}s...`);
    const result = await runPutLoad(client, options);
    await cleanUp(client, options).catch((error: unknown) => context.warn(`kvctl: could not delete the test keys under ${options.prefix}: ${String(error)}`));
    const rate = result.writes / (result.elapsedMs / 1000);
    const p50 = percentile(result.latenciesMs, 0.5);
    const p99 = percentile(result.latenciesMs, 0.99);
    const checks: Check[] = [
      { metric: 'writes/s', value: rate.toFixed(0), threshold: `>= ${minWritesPerSec}`, pass: rate >= minWritesPerSec },
      { metric: 'p50 latency', value: formatMs(p50), threshold: '', pass: true },
      { metric: 'p99 latency', value: formatMs(p99), threshold: `<= ${formatMs(maxP99Ms)}`, pass: p99 <= maxP99Ms },
      { metric: 'failed writes', value: String(result.errors), threshold: '0', pass: result.errors === 0 },
    ];
    const pass = checks.every((c) => c.pass);
    context.out.show({
      columns: ['METRIC', 'VALUE', 'THRESHOLD', 'RESULT'],
      rows: checks.map((c) => [c.metric, c.value, c.threshold, c.threshold === '' ? '' : c.pass ? 'ok' : 'FAIL']),
      json: { pass, writes: result.writes, errors: result.errors, writesPerSec: rate, p50Ms: p50, p99Ms: p99, thresholds: { minWritesPerSec, maxP99Ms }, ...(result.firstError === undefined ? {} : { firstError: result.firstError }) },
    });
    context.out.line(pass ? 'PASS' : `FAIL${result.firstError === undefined ? '' : `: first error: ${result.firstError}`}`);
    return pass;
  } finally {
    client.close();
  }
}

export const checkCommand: Command = {
  name: 'check',
  usage: ['check perf [--clients N] [--duration D] [--value-size BYTES] [--min-writes N] [--max-p99 D]', 'check hash'],
  brief: 'check perf|hash',
  summary: 'a write load test, or compare replica hashes',
  details: `a short write load test with PASS/FAIL (exit code 1 on FAIL).

check perf: ${DEFAULTS.writers} writers put ${DEFAULTS.valueBytes}-byte values for ${DEFAULTS.duration} (keys under kvctl-check-perf/, deleted after).
PASS needs >= ${DEFAULTS.minWritesPerSec} writes/s, p99 <= ${DEFAULTS.maxP99} and no failed writes; change the bars with --min-writes and --max-p99.

check hash: every replica's state hash per group at the newest index all replicas hashed, its health
(ok, unverified, corrupt) and whether it matches the others. Pass every node in --endpoints.
Exit code 1 if a replica is corrupt or hashes differ.`,
  flags: {
    clients: { type: 'string', value: 'N', help: `concurrent writers, 1..256 (default ${DEFAULTS.writers})` },
    duration: { type: 'string', value: 'D', help: `how long to write, at most 1m (default ${DEFAULTS.duration})` },
    'value-size': { type: 'string', value: 'BYTES', help: `bytes per value (default ${DEFAULTS.valueBytes})` },
    'min-writes': { type: 'string', value: 'N', help: `writes/s needed to pass (default ${DEFAULTS.minWritesPerSec})` },
    'max-p99': { type: 'string', value: 'D', help: `p99 latency allowed (default ${DEFAULTS.maxP99})` },
  },
  async run(context) {
    const [verb, ...rest] = context.args;
    if (verb !== 'perf' && verb !== 'hash') throw new UsageError(verb === undefined ? 'check: missing perf or hash' : `check: unknown subcommand "${verb}" (perf, hash)`, 'check');
    if (rest.length > 0) throw new UsageError(`check ${verb}: unexpected "${rest[0] ?? ''}"`, 'check');
    if (verb === 'hash') return checkHash(context);
    return (await perf(context)) ? EXIT.ok : EXIT.error;
  },
};
