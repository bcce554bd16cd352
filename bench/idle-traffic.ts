/**
 * Background traffic of an idle sharded cluster: peer messages (Raft messages and the gRPC
 * batches carrying them) per second between two nodes, for several group counts. Starts a local
 * 3-node cluster per count, waits for it to settle, samples NodeStats twice, prints JSON.
 *
 *   npx tsx bench/idle-traffic.ts --groups 1,16,256 --seconds 10
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { startLocalCluster } from './support/local-cluster.js';

type Obj = Record<string, unknown>;
interface ClusterClient extends grpc.Client {
  NodeStats(request: Obj, callback: (err: grpc.ServiceError | null, res?: Obj) => void): void;
}

function clusterClient(address: string): ClusterClient {
  const def = loader.loadSync('raftkv/v1/cluster.proto', { includeDirs: [new URL('../proto', import.meta.url).pathname], longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { raftkv: { v1: { Cluster: new (a: string, c: grpc.ChannelCredentials) => ClusterClient } } };
  return new pkg.raftkv.v1.Cluster(address, grpc.credentials.createInsecure());
}

function nodeStats(client: ClusterClient): Promise<Obj> {
  return new Promise((resolve, reject) => client.NodeStats({}, (err, res) => (err ? reject(err) : resolve(res ?? {}))));
}

/** Messages and batches node 1 sent to node 2 (one direction of one pair). */
async function sentToNode2(client: ClusterClient): Promise<{ messages: number; batches: number; groups: number }> {
  const stats = await nodeStats(client);
  const peer = (stats['peers'] as Obj[]).find((p) => p['nodeId'] === '2') ?? {};
  return { messages: Number(peer['messagesSent'] ?? 0), batches: Number(peer['batchesSent'] ?? 0), groups: Number(stats['groups']) };
}

async function measure(groups: number, seconds: number): Promise<Obj> {
  const cluster = await startLocalCluster({ nodes: 3, extraFlags: ['--groups', String(groups)] });
  try {
    const client = clusterClient(cluster.endpoints[0] ?? '');
    // Elections settle and founders write each group's first snapshot file; 256 groups need ~15 s here.
    await new Promise((r) => setTimeout(r, 20_000));
    const before = await sentToNode2(client);
    const started = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = await sentToNode2(client);
    const elapsed = (performance.now() - started) / 1000;
    client.close();
    return {
      groups, hostedOnNode1: after.groups,
      raftMessagesPerSec: Math.round((after.messages - before.messages) / elapsed),
      batchesPerSec: Math.round((after.batches - before.batches) / elapsed),
    };
  } finally {
    await cluster.stop();
  }
}

const { values } = parseArgs({ options: { groups: { type: 'string', default: '1,16,256' }, seconds: { type: 'string', default: '10' } } });
const results: Obj[] = [];
for (const groups of values.groups.split(',').map(Number)) {
  const result = await measure(groups, Number(values.seconds));
  console.error(JSON.stringify(result));
  results.push(result);
}
console.log(JSON.stringify({ benchmark: 'idle-traffic', direction: 'node 1 -> node 2', results }, null, 2));
