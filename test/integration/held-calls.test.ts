// Goal: a client cannot make a real `raftkv serve` hold calls without bound by starting them and
// never sending their requests: one connection carries at most `streamsPerConnectionMax` calls
// (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS), and a call whose request has not arrived within
// `requestArrivalMsMax` is answered DEADLINE_EXCEEDED; the node keeps serving. Method: a raw
// node:http2 session to a single-node cluster, so we control exactly which frames are sent. The
// assertions are about order (which answer came first), never about how long anything took.
import { connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requestArrivalMsMax, streamsPerConnectionMax } from '../../src/server/connection-limits.js';
import { kvServiceDefinition } from '../../src/transport/proto-loader.js';
import { Cluster } from './cluster.js';
import { get, LINEARIZABLE, put } from './kv-helpers.js';

let single: Cluster | undefined;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  single = await Cluster.start({ size: 1 });
  await single.waitForLeader();
});
afterEach((context) => {
  if (context.task.result?.state === 'fail') single?.markFailed();
});
afterAll(async () => {
  for (const session of sessions) session.destroy();
  await single?.stopAll();
});

function started(): Cluster {
  if (single === undefined) throw new Error('The cluster did not start');
  return single;
}

async function openSession(): Promise<ClientHttp2Session> {
  const session = connect(`http://${started().address(1)}`);
  sessions.push(session);
  await new Promise<void>((resolve, reject) => {
    session.once('remoteSettings', () => resolve());
    session.once('error', reject);
  });
  return session;
}

/** A gRPC call on `session`; with `request` undefined its request is never sent nor ended. */
function startCall(session: ClientHttp2Session, path: string, request?: Buffer): ClientHttp2Stream {
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' }, { endStream: false });
  stream.on('error', () => undefined);
  if (request !== undefined) {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(request.byteLength, 1);
    stream.end(Buffer.concat([prefix, request]));
  }
  return stream;
}

interface CallStatus {
  readonly code: number;
  readonly message: string;
}

/** The call's grpc-status and grpc-message, from its trailers (or a trailers-only answer). */
function statusOf(stream: ClientHttp2Stream): Promise<CallStatus> {
  return new Promise((resolve) => {
    const take = (headers: IncomingHttpHeaders): void => {
      const code = headers['grpc-status'];
      if (code !== undefined) resolve({ code: Number(code), message: decodeURIComponent(String(headers['grpc-message'] ?? '')) });
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', () => undefined);
    stream.on('close', () => resolve({ code: -1, message: 'stream closed without a status' }));
  });
}

/** `promise`, or `fallback` if it has not settled after `ms` (so a test on the old code fails, not hangs). */
function orAfter<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

const putPath = '/raftkv.v1.Kv/Put';
const deadlineExceeded = 4;
const neverAnswered: CallStatus = { code: -2, message: 'no answer' };
const waitMs = requestArrivalMsMax * 4;

async function expectServing(key: string): Promise<void> {
  await put(started().stub(1), key, 'ok');
  expect((await get(started().stub(1), key, LINEARIZABLE))?.value).toBe('ok');
}

describe('calls whose request never arrives', () => {
  it('are answered DEADLINE_EXCEEDED naming requestArrivalMsMax, and the node keeps serving', async () => {
    const session = await openSession();
    const held = startCall(session, putPath);
    const answer = await orAfter(statusOf(held), waitMs, neverAnswered);
    expect(answer).toEqual({ code: deadlineExceeded, message: `Cannot serve the call: its request did not arrive within ${requestArrivalMsMax} ms (requestArrivalMsMax)` });
    await expectServing('held-calls/arrival');
  });

  it('one connection carries at most streamsPerConnectionMax calls: a call beyond them waits until a held one ends', async () => {
    const session = await openSession();
    expect(session.remoteSettings.maxConcurrentStreams).toBe(streamsPerConnectionMax);
    const order: string[] = [];
    const held = Array.from({ length: streamsPerConnectionMax }, () => startCall(session, putPath));
    // As a well-behaved client does, close each held call once it has its status: its slot frees.
    const heldStatuses = held.map((stream) => statusOf(stream).then((status) => {
      stream.close();
      return status;
    }));
    const firstHeldEnded = Promise.race(heldStatuses).then((status) => order.push(`held ended ${status.code}`));
    const request = kvServiceDefinition().Put?.requestSerialize({ key: Buffer.from('held-calls/extra'), value: Buffer.from('v') });
    const extra = statusOf(startCall(session, putPath, request)).then((status) => order.push(`extra answered ${status.code}`));
    await orAfter(Promise.all([firstHeldEnded, extra]), waitMs, undefined);
    expect(order).toEqual([`held ended ${deadlineExceeded}`, 'extra answered 0']);
    await expectServing('held-calls/limit');
  });
});
