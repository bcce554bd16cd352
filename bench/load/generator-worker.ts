/**
 * A load generator process: receives one WorkerSpec from the driver over IPC, drives the target
 * through the shared adapter, reports successes and errors once a second (for the progress line),
 * then sends everything it recorded plus its own CPU time inside the measured window, and exits.
 * Started by generator-pool.ts; not meant to be run by hand.
 */
import { RoutedAdapter } from '../client/adapter.js';
import { protocolFor } from '../client/protocols.js';
import { Recorder } from '../measure/recorder.js';
import { epochNowMs, runClosedLoop, runOpenLoop, sleep } from './loops.js';
import { isToWorker, type CpuTime, type FromWorker, type WorkerSpec } from './worker-protocol.js';

function send(message: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** CPU time of this process between `fromMs` and `toMs` (epoch), sampled by timers. */
async function cpuBetween(fromMs: number, toMs: number): Promise<CpuTime> {
  await sleep(fromMs - epochNowMs());
  const start = process.cpuUsage();
  await sleep(toMs - epochNowMs());
  const used = process.cpuUsage(start);
  return { userUs: used.user, systemUs: used.system };
}

async function run(spec: WorkerSpec): Promise<void> {
  const adapter = new RoutedAdapter(protocolFor(spec.target), {
    endpoints: spec.endpoints, connections: spec.connections, deadlineMs: spec.deadlineMs,
  });
  const recorder = new Recorder(spec.loop.t0Ms, spec.measureFromMs, spec.measureToMs);
  const cpu = cpuBetween(spec.measureFromMs, spec.measureToMs);
  const ticker = setInterval(() => {
    const totals = recorder.secondTotals(epochNowMs() - 1000);
    void send({ type: 'second', ...totals });
  }, 1000);
  try {
    if (spec.mode === 'closed') await runClosedLoop(adapter, spec.loop, recorder, epochNowMs);
    else await runOpenLoop(adapter, spec.loop, recorder, epochNowMs);
    await send({ type: 'done', data: recorder.serialize(epochNowMs()), cpu: await cpu });
  } finally {
    clearInterval(ticker);
    adapter.close();
  }
}

process.on('message', (message: unknown) => {
  if (!isToWorker(message)) return;
  run(message.spec).then(
    () => process.exit(0),
    async (error: unknown) => {
      await send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
});

await send({ type: 'ready' });

// The driver went away (interrupted): stop rather than load a cluster nobody measures.
process.on('disconnect', () => process.exit(0));
