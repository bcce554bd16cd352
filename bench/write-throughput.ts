/**
 * A first write benchmark for one raftkv cluster: N closed-loop clients each put 128-byte values
 * to the leader for a fixed time; reports writes/s and latency percentiles as JSON (stdout) and a
 * one-line summary (stderr). It starts its own 3-node local cluster unless --endpoints is given.
 *
 *   npx tsx bench/write-throughput.ts --clients 1,64 --seconds 10 [--endpoints h:p,...]
 *
 * Numbers from a shared 2-core machine are noisy: compare runs made back to back.
 */
import { parseArgs } from 'node:util';
import hdr from 'hdr-histogram-js';
import { KvStub } from '../src/client/kv-stub.js';
import { KvError } from '../src/shared/errors.js';
import { startLocalCluster, type LocalCluster } from './support/local-cluster.js';

interface RunResult {
  readonly clients: number;
  readonly seconds: number;
  readonly writes: number;
  readonly errors: Record<string, number>;
  readonly writesPerSec: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
}

async function findLeader(endpoints: readonly string[]): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt++) {
    for (const endpoint of endpoints) {
      const stub = new KvStub(endpoint);
      try {
        const status = await stub.call('Status', {}, { deadlineMs: 1000 });
        if (status['role'] === 'ROLE_LEADER') return endpoint;
      } catch {
        // Not up yet.
      } finally {
        stub.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`No leader among ${endpoints.join(', ')}`);
}

async function runClients(leader: string, clients: number, seconds: number, valueBytes: number): Promise<RunResult> {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const errors: Record<string, number> = {};
  const value = Buffer.alloc(valueBytes, 0x61);
  const stubs = Array.from({ length: Math.min(clients, 8) }, () => new KvStub(leader));
  const endAt = performance.now() + seconds * 1000;
  let writes = 0;
  const loop = async (client: number): Promise<void> => {
    const stub = stubs[client % stubs.length] ?? stubs[0];
    if (stub === undefined) return;
    for (let i = 0; performance.now() < endAt; i++) {
      const started = performance.now();
      try {
        await stub.call('Put', { key: Buffer.from(`bench/${client}/${i % 1000}`), value }, { deadlineMs: 5000 });
        histogram.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
        writes++;
      } catch (error) {
        const code = error instanceof KvError ? error.code : 'UNKNOWN';
        errors[code] = (errors[code] ?? 0) + 1;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  const elapsed = (performance.now() - started) / 1000;
  for (const stub of stubs) stub.close();
  const ms = (p: number): number => Math.round(histogram.getValueAtPercentile(p) / 10) / 100;
  return {
    clients, seconds: Math.round(elapsed * 100) / 100, writes, errors, writesPerSec: Math.round(writes / elapsed),
    latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: Math.round(histogram.maxValue / 10) / 100 },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    clients: { type: 'string', default: '1,64' }, seconds: { type: 'string', default: '10' },
    'value-bytes': { type: 'string', default: '128' }, endpoints: { type: 'string' },
  } });
  let cluster: LocalCluster | undefined;
  const endpoints = values.endpoints?.split(',') ?? (cluster = await startLocalCluster({ nodes: 3 })).endpoints;
  try {
    const leader = await findLeader(endpoints);
    const results: RunResult[] = [];
    for (const clients of values.clients.split(',').map(Number)) {
      const result = await runClients(leader, clients, Number(values.seconds), Number(values['value-bytes']));
      console.error(`${clients} clients: ${result.writesPerSec} writes/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, errors ${JSON.stringify(result.errors)}`);
      results.push(result);
    }
    console.log(JSON.stringify({ benchmark: 'write-throughput', valueBytes: Number(values['value-bytes']), nodes: endpoints.length, results }, null, 2));
  } finally {
    await cluster?.stop();
  }
}

await main();
