// Goal: GrpcPeerTransport over real sockets on 127.0.0.1: batching per turn, order within a stream,
// reconnect after a peer restart, bounded queues while a peer is down, refusal of misconfigured
// peers, and dropping of malformed input without failing the stream. Method: servers bound to
// ephemeral ports; waits are on observable effects (vi.waitFor polls stats, deliveries and logs),
// never fixed sleeps. Backoff bounds are lowered so reconnects take milliseconds.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupId, type NodeId } from '../../../src/shared/ids.js';
import { encodeBatch, encodeMessage } from '../../../src/transport/codec.js';
import { NODE_ID_HEADER, CLUSTER_ID_HEADER } from '../../../src/transport/hello.js';
import { GrpcPeerTransport, peerServerOptions } from '../../../src/transport/grpc-peer-transport.js';
import type { PeerTransportLimits } from '../../../src/transport/peer-transport.js';
import { raftTransportProto } from '../../../src/transport/proto-loader.js';
import { PINO_ERROR, PINO_WARN, append, captureLogger, collect, heartbeat, n, range, readSeqs, sendHeartbeats, type LogLine } from './helpers.js';

const fastLimits: Partial<PeerTransportLimits> = { reconnectDelayMsMin: 5, reconnectDelayMsMax: 50, helloDeadlineMs: 500 };
const waitOptions = { timeout: 4000, interval: 5 };

interface Node {
  readonly transport: GrpcPeerTransport;
  readonly server: grpc.Server;
  readonly port: number;
  readonly lines: LogLine[];
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function bind(server: grpc.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error === null ? resolve(bound) : reject(error)));
  });
}

/** A server (on `port`, or an ephemeral one) hosting a transport for node `self`. */
async function startNode(self: number, peers: Map<NodeId, string>, options: { port?: number; clusterId?: string; limits?: Partial<PeerTransportLimits> } = {}): Promise<Node> {
  const server = new grpc.Server(peerServerOptions());
  const port = await bind(server, options.port ?? 0);
  const { logger, lines } = captureLogger();
  const transport = new GrpcPeerTransport({
    self: n(self), clusterId: options.clusterId ?? 'test', address: `127.0.0.1:${port}`, peers, server, logger,
    limits: { ...fastLimits, ...options.limits },
  });
  const node = { transport, server, port, lines };
  cleanups.push(() => stopNode(node));
  return node;
}

async function stopNode(node: Node): Promise<void> {
  await node.transport.close();
  node.server.forceShutdown();
}

/** A port nothing listens on: bound once, then released. */
async function deadPort(): Promise<number> {
  const server = new grpc.Server();
  const port = await bind(server, 0);
  server.forceShutdown();
  return port;
}

/** Two nodes that know each other. */
async function pair(): Promise<[Node, Node]> {
  const aPeers = new Map<NodeId, string>();
  const bPeers = new Map<NodeId, string>();
  const a = await startNode(1, aPeers);
  const b = await startNode(2, bPeers);
  a.transport.setPeers(new Map([[n(2), `127.0.0.1:${b.port}`]]));
  b.transport.setPeers(new Map([[n(1), `127.0.0.1:${a.port}`]]));
  return [a, b];
}

function hasLine(lines: readonly LogLine[], level: number, msg: string): boolean {
  return lines.some((line) => line.level === level && line.msg === msg);
}

describe('GrpcPeerTransport', () => {
  it('sends one turn of messages as one batch and keeps order across turns', async () => {
    const [a, b] = await pair();
    const received = collect(b.transport);
    sendHeartbeats(a.transport, 1, 2, range(1, 100));
    await vi.waitFor(() => expect(received).toHaveLength(100), waitOptions);
    for (let turn = 1; turn < 10; turn++) {
      sendHeartbeats(a.transport, 1, 2, range(turn * 100 + 1, 100));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await vi.waitFor(() => expect(received).toHaveLength(1000), waitOptions);
    expect(readSeqs(received)).toEqual(range(1, 1000));
    expect(received[4]?.group).toBe(groupId(5 % 3));
    const sent = a.transport.stats().peers.get(n(2));
    const got = b.transport.stats().peers.get(n(1));
    expect(sent).toMatchObject({ messagesSent: 1000, batchesSent: 10, connected: true, reconnects: 0 });
    expect(got).toMatchObject({ messagesReceived: 1000, batchesReceived: 10, bytesReceived: sent?.bytesSent });
  });

  it('carries messages both ways, each on its own stream', async () => {
    const [a, b] = await pair();
    const atA = collect(a.transport);
    const atB = collect(b.transport);
    sendHeartbeats(a.transport, 1, 2, [1, 2]);
    sendHeartbeats(b.transport, 2, 1, [3]);
    await vi.waitFor(() => expect([readSeqs(atA), readSeqs(atB)]).toEqual([[3], [1, 2]]), waitOptions);
  });

  it('stops writing when the stream buffer is full and resumes on drain, in order', async () => {
    const [a, b] = await pair();
    const received = collect(b.transport);
    sendHeartbeats(a.transport, 1, 2, [0]);
    await vi.waitFor(() => expect(received).toHaveLength(1), waitOptions);
    // One message per batch, so one flush() makes hundreds of writes: more than grpc-js buffers.
    const limits = { batchMessagesMax: 1, peerQueueMessagesMax: 1000 };
    const c = await startNode(3, new Map([[n(2), `127.0.0.1:${b.port}`]]), { limits });
    b.transport.setPeers(new Map([[n(1), `127.0.0.1:${a.port}`], [n(3), `127.0.0.1:${c.port}`]]));
    sendHeartbeats(c.transport, 3, 2, [1]);
    await vi.waitFor(() => expect(received).toHaveLength(2), waitOptions);
    sendHeartbeats(c.transport, 3, 2, range(2, 500));
    c.transport.flush();
    expect(c.transport.stats().peers.get(n(2))?.queuedMessages).toBeGreaterThan(0);
    await vi.waitFor(() => expect(received).toHaveLength(502), waitOptions);
    expect(readSeqs(received.slice(1))).toEqual(range(1, 501));
  });

  it('reconnects after the peer restarts on the same port and delivers what was queued', async () => {
    const [a, b] = await pair();
    const before = collect(b.transport);
    sendHeartbeats(a.transport, 1, 2, [1]);
    await vi.waitFor(() => expect(before).toHaveLength(1), waitOptions);
    await stopNode(b);
    await vi.waitFor(() => expect(a.transport.stats().peers.get(n(2))?.connected).toBe(false), waitOptions);
    // Queued while the peer is down; sent once the restarted peer answers Hello.
    sendHeartbeats(a.transport, 1, 2, [2, 3]);
    const restarted = await startNode(2, new Map([[n(1), `127.0.0.1:${a.port}`]]), { port: b.port });
    const after = collect(restarted.transport);
    await vi.waitFor(() => expect(readSeqs(after)).toEqual([2, 3]), waitOptions);
    expect(a.transport.stats().peers.get(n(2))).toMatchObject({ reconnects: 1, connected: true });
    expect(hasLine(a.lines, PINO_WARN, 'peer stream closed')).toBe(true);
  });

  it('bounds the queue of a peer that is down, counts the drops, and sends the rest when it is up', async () => {
    const port = await deadPort();
    const limits = { peerQueueMessagesMax: 5, batchMessagesMax: 5 };
    const a = await startNode(1, new Map([[n(2), `127.0.0.1:${port}`]]), { limits });
    sendHeartbeats(a.transport, 1, 2, range(1, 8));
    expect(a.transport.stats().peers.get(n(2))).toMatchObject({ queuedMessages: 5, droppedQueueFull: 3, connected: false });
    const b = await startNode(2, new Map([[n(1), `127.0.0.1:${a.port}`]]), { port });
    const received = collect(b.transport);
    await vi.waitFor(() => expect(readSeqs(received)).toEqual(range(1, 5)), waitOptions);
    expect(hasLine(a.lines, PINO_WARN, 'dropped message: peer queue full')).toBe(true);
  });

  it('bounds the queue in bytes too', async () => {
    const port = await deadPort();
    const a = await startNode(1, new Map([[n(2), `127.0.0.1:${port}`]]), { limits: { peerQueueBytesMax: 2000, messageBytesMax: 2000 } });
    for (let i = 0; i < 5; i++) a.transport.send(n(2), groupId(0), append(1, 2, 600));
    a.transport.send(n(2), groupId(0), append(1, 2, 3000));
    const stats = a.transport.stats().peers.get(n(2));
    expect(stats).toMatchObject({ queuedMessages: 2, droppedQueueFull: 3, droppedOversize: 1 });
    expect(stats?.queuedBytes).toBeLessThanOrEqual(2000);
  });

  it('refuses a peer from another cluster with a clear error on both sides', async () => {
    const bPeers = new Map<NodeId, string>();
    const b = await startNode(2, bPeers, { clusterId: 'green' });
    const a = await startNode(1, new Map([[n(2), `127.0.0.1:${b.port}`]]), { clusterId: 'blue' });
    bPeers.set(n(1), `127.0.0.1:${a.port}`);
    b.transport.setPeers(bPeers);
    const received = collect(b.transport);
    sendHeartbeats(a.transport, 1, 2, [1]);
    await vi.waitFor(() => expect(hasLine(a.lines, PINO_ERROR, 'peer refused hello')).toBe(true), waitOptions);
    const line = a.lines.find((entry) => entry.msg === 'peer refused hello');
    expect(line).toMatchObject({ peer: 2, code: 'FAILED_PRECONDITION' });
    expect(JSON.stringify(line)).toContain('it is in cluster \\"blue\\", node \\"2\\" is in cluster \\"green\\"');
    expect(hasLine(b.lines, PINO_ERROR, 'refused peer hello')).toBe(true);
    expect(received).toHaveLength(0);
  });

  it('refuses to stream to a node that answers with another node id', async () => {
    const [a, b] = await pair();
    a.transport.setPeers(new Map([[n(3), `127.0.0.1:${b.port}`]]));
    a.transport.send(n(3), groupId(0), heartbeat(1, 3, 1));
    await vi.waitFor(() => expect(hasLine(a.lines, PINO_ERROR, 'peer refused: wrong node or cluster')).toBe(true), waitOptions);
    expect(a.lines.find((entry) => entry.msg === 'peer refused: wrong node or cluster')).toMatchObject({ peer: 3 });
  });
});

describe('GrpcPeerTransport inbound checks', () => {
  const proto = raftTransportProto();

  function rawStream(port: number, from: number): grpc.ClientDuplexStream<Buffer, Buffer> {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(async () => client.close());
    const metadata = new grpc.Metadata();
    metadata.set(CLUSTER_ID_HEADER, 'test');
    metadata.set(NODE_ID_HEADER, String(from));
    const pass = (bytes: Buffer): Buffer => bytes;
    const call = client.makeBidiStreamRequest(proto.streamPath, pass, pass, metadata);
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    cleanups.push(async () => call.cancel());
    return call;
  }

  it('drops malformed or misaddressed messages, warns with the peer, and delivers the rest', async () => {
    const [, b] = await pair();
    const received = collect(b.transport);
    const good = (seq: number): object => encodeMessage(groupId(0), heartbeat(1, 2, seq));
    const unsafeTerm = { ...good(0), term: '18446744073709551615' };
    const misaddressed = encodeMessage(groupId(0), heartbeat(1, 3, 9));
    const call = rawStream(b.port, 1);
    call.write(proto.serializeBatch({ fromNode: 1, messages: [good(1), unsafeTerm, good(2), misaddressed, good(3)] }));
    await vi.waitFor(() => expect(readSeqs(received)).toEqual([1, 2, 3]), waitOptions);
    expect(b.transport.stats().peers.get(n(1))).toMatchObject({ droppedMalformed: 2, messagesReceived: 3 });
    expect(b.transport.stats().refusedMessages).toEqual({ malformed: 0, outOfBounds: 1, inconsistent: 0, misaddressed: 1, peerIdentity: 0 });
    const warning = b.lines.find((line) => line.msg === 'dropped peer message');
    expect(warning).toMatchObject({ peer: 1, kind: 'outOfBounds', level: PINO_WARN });
  });

  it('drops batches that are not protobuf or claim another sender, and keeps the stream', async () => {
    const [, b] = await pair();
    const received = collect(b.transport);
    const call = rawStream(b.port, 1);
    call.write(Buffer.from([0xff, 0xff, 0xff]));
    call.write(proto.serializeBatch(encodeBatch(n(3), [encodeMessage(groupId(0), heartbeat(3, 2, 7))])));
    call.write(proto.serializeBatch(encodeBatch(n(1), [encodeMessage(groupId(0), heartbeat(1, 2, 8))])));
    await vi.waitFor(() => expect(readSeqs(received)).toEqual([8]), waitOptions);
    expect(b.transport.stats().rejectedBatches).toBe(2);
  });

  it('refuses a stream from a node that is not a peer', async () => {
    const [, b] = await pair();
    const call = rawStream(b.port, 9);
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(status.details).toMatch(/node "9": it is not in the peer list of node "2"/);
  });
});
