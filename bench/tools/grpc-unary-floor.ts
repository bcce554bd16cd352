/**
 * The floor under any Node.js gRPC server: the CPU a grpc-js server spends per unary call when
 * its handler does nothing (raftkv's Kv.Put protos, a 128-byte value, a ResponseHeader back). A
 * forked server process measures its own CPU over a window in which a client keeps `--clients`
 * calls in flight over 4 channels, as the bench generator does.
 *
 *   npx tsx bench/tools/grpc-unary-floor.ts [--clients 64] [--seconds 5]
 */
import * as grpc from '@grpc/grpc-js';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProtos } from '../../src/transport/proto-loader.js';

type KvClient = grpc.Client & { Put(request: object, options: grpc.CallOptions, done: (error: grpc.ServiceError | null) => void): void };
const Kv = (grpc.loadPackageDefinition(loadProtos()) as unknown as { raftkv: { v1: { Kv: grpc.ServiceClientConstructor } } }).raftkv.v1.Kv;
const port = 50_997;

function serve(): void {
  const server = new grpc.Server();
  server.addService(Kv.service, { Put: (_call: unknown, done: grpc.sendUnaryData<object>) => done(null, { header: { revision: '5', raftTerm: '2' } }) });
  server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), () => process.send?.('up'));
  let started = process.cpuUsage();
  process.on('message', (message) => {
    if (message === 'start') started = process.cpuUsage();
    if (message !== 'stop') return;
    process.send?.(process.cpuUsage(started));
    setTimeout(() => process.exit(0), 50);
  });
}

async function drive(clients: number, seconds: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'] });
  await new Promise((resolve) => child.once('message', resolve));
  const channels = Array.from({ length: 4 }, (_, i) => new Kv(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.channel_id': i, 'grpc.enable_channelz': 0 }) as unknown as KvClient);
  const value = new Uint8Array(128).fill(1);
  let calls = 0;
  let running = true;
  const loop = async (i: number): Promise<void> => {
    for (let k = 0; running; k++) {
      const key = new TextEncoder().encode(`bench/${i}/${k}`);
      await new Promise<void>((resolve) => channels[i % 4]?.Put({ key, value }, { deadline: Date.now() + 2000 }, () => resolve()));
      calls++;
    }
  };
  const loops = Array.from({ length: clients }, (_, i) => loop(i));
  await new Promise((resolve) => setTimeout(resolve, 2000)); // warm-up
  calls = 0;
  child.send('start');
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  child.send('stop');
  const cpu = await new Promise<NodeJS.CpuUsage>((resolve) => child.once('message', (m) => resolve(m as NodeJS.CpuUsage)));
  const measured = calls;
  running = false;
  await Promise.allSettled(loops);
  const elapsed = (performance.now() - startedAt) / 1000;
  console.log(`${clients} clients: ${Math.round(measured / elapsed)} calls/s, server CPU ${((cpu.user + cpu.system) / measured).toFixed(1)} µs per call (user ${(cpu.user / measured).toFixed(1)}, system ${(cpu.system / measured).toFixed(1)})`);
  for (const channel of channels) channel.close();
}

const { values } = parseArgs({ options: { serve: { type: 'boolean' }, clients: { type: 'string' }, seconds: { type: 'string' } } });
if (values.serve === true) serve();
else await drive(Number(values.clients ?? 64), Number(values.seconds ?? 5));
