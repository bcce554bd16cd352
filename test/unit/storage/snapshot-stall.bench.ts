// Goal: show that snapshot production and installation never block the event loop for long.
// Method: fill one group with N keys (default 1M), then measure the event loop while (1) producing
// the snapshot, (2) moving it chunk by chunk to a second node (a driver would interleave these with
// other work, so we yield between chunks), (3) installing it. Two probes: perf_hooks'
// monitorEventLoopDelay (max and p99 of the delay histogram) and a 1 ms setInterval whose largest
// gap between ticks is the longest stall seen. Run: npx tsx test/unit/storage/snapshot-stall.bench.ts [keys]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { groupId, logIndex, nodeId, term } from '../../../src/shared/ids.js';
import { encodeKvCommand } from '../../../src/storage/kv-command-codec.js';
import { NodeStorage } from '../../../src/storage/node-storage.js';
import { yieldToEventLoop } from '../../../src/storage/event-loop.js';
import type { LogEntry } from '../../../src/raft/types.js';
import type { ProducedSnapshot } from '../../../src/storage/snapshot-producer.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const group = groupId(1);
const bootstrap = { snapshot: { index: logIndex(0), term: term(0), conf: { voters: [nodeId(1)], learners: [] } }, hardState: { term: term(0), vote: null, commit: logIndex(0) } };
const kvOptions = { sessionTtlMs: 60_000, sessionsMax: 1000 };
const encoder = new TextEncoder();

interface Stall {
  readonly phase: string;
  readonly ms: number;
  readonly maxStallMs: number;
  readonly histogramMaxMs: number;
  readonly histogramP99Ms: number;
}

async function measure(phase: string, work: () => Promise<void>): Promise<Stall> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let maxGap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  histogram.enable();
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  // Let the probes run once more: a stall at the very end only shows on the next tick.
  await new Promise((resolve) => setTimeout(resolve, 5));
  histogram.disable();
  clearInterval(probe);
  const round = (n: number): number => Math.round(n * 10) / 10;
  return { phase, ms: round(ms), maxStallMs: round(maxGap), histogramMaxMs: round(histogram.max / 1e6), histogramP99Ms: round(histogram.percentile(99) / 1e6) };
}

function fill(node: NodeStorage): void {
  const { log, kv } = node.group(group);
  const perCommand = 1000;
  for (let done = 0, index = 1; done < keys; index++) {
    const count = Math.min(perCommand, keys - done);
    const items = Array.from({ length: count }, (_, i) => ({
      key: encoder.encode(`key/${String(done + i).padStart(8, '0')}`),
      value: encoder.encode(`value-${done + i}-`.padEnd(100, 'x')),
    }));
    const entry: LogEntry = { index: logIndex(index), term: term(1), type: 'normal', data: encodeKvCommand({ type: 'batchPut', items, timeMs: index }) };
    node.persistBatch([{ group, entries: [entry], hardState: { term: term(1), vote: nodeId(1), commit: logIndex(index) } }]);
    kv.apply([entry]);
    done += count;
    if (log.lastIndex() % 100 === 0) process.stdout.write(`\rfilled ${done} keys`);
  }
  process.stdout.write('\n');
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftkv-stall-'));
  const leader = NodeStorage.open({ path: path.join(dir, 'leader.db'), kv: kvOptions });
  const follower = NodeStorage.open({ path: path.join(dir, 'follower.db'), kv: kvOptions });
  await leader.openGroup(group, bootstrap);
  await follower.openGroup(group, bootstrap);
  const fillStart = performance.now();
  fill(leader);
  console.log(`fill: ${keys} keys in ${Math.round(performance.now() - fillStart)} ms`);

  const results: Stall[] = [];
  let bytes = 0;
  let produced: ProducedSnapshot | undefined;
  results.push(
    await measure('produce', async () => {
      produced = await leader.produceSnapshot(group);
      bytes = produced.bytes;
    }),
  );
  // Compaction deletes the log up to the snapshot in one transaction; here that is every entry
  // written by the fill (about as many bytes as the snapshot), so its cost is shown on its own.
  results.push(
    await measure('compact (log of the whole fill)', async () => {
      if (produced !== undefined) leader.compact(produced);
      await yieldToEventLoop();
    }),
  );
  const meta = leader.group(group).log.snapshotMeta();
  const chunkBytes = 1024 * 1024;
  results.push(
    await measure(`transfer (${chunkBytes} B chunks)`, async () => {
      for (let offset = 0; ; ) {
        const chunk = leader.group(group).log.snapshotChunk(meta.index, offset, chunkBytes);
        if (chunk === undefined) throw new Error('snapshot replaced');
        follower.persistBatch([{ group, entries: [], snapshotChunk: { meta, offset, data: chunk.data, done: chunk.done } }]);
        offset += chunk.data.byteLength;
        if (chunk.done) break;
        await yieldToEventLoop();
      }
    }),
  );
  results.push(await measure('install', () => follower.installSnapshot(group)));
  const count = follower.group(group).kv.range({ prefix: encoder.encode('key/'), countOnly: true }).count;
  console.log(`snapshot: ${bytes} bytes, follower has ${count} keys`);
  console.table(results);
  leader.close();
  follower.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
