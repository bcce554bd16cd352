// Goal: what a client that does not speak our protobuf properly gets from a real `raftkv serve`:
// bytes that are not a valid request message answer INVALID_ARGUMENT (not INTERNAL, which the error
// table reserves for "the server is about to exit") on the Kv, Cluster and peer Hello methods, and
// the node keeps serving. Method: one single-node cluster; a plain grpc-js client whose serializer
// passes raw bytes through, so the server's deserializer sees exactly what we send.
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './cluster.js';
import { get, LINEARIZABLE, put } from './kv-helpers.js';

let single: Cluster | undefined;
let raw: grpc.Client | undefined;
let rawPeer: grpc.Client | undefined;

function started(): Cluster {
  if (single === undefined) throw new Error('The cluster did not start');
  return single;
}

beforeAll(async () => {
  single = await Cluster.start({ size: 1 });
  await single.waitForLeader();
  raw = new grpc.Client(single.address(1), grpc.credentials.createInsecure());
  rawPeer = new grpc.Client(single.peerAddress(1), grpc.credentials.createInsecure());
});
afterEach((context) => {
  if (context.task.result?.state === 'fail') single?.markFailed();
});
afterAll(async () => {
  raw?.close();
  rawPeer?.close();
  await single?.stopAll();
});

const passBytes = (bytes: Buffer): Buffer => bytes;

/** The status of a unary call to `path` whose request body is exactly `body`. */
function rawCall(path: string, body: Buffer, client = raw): Promise<grpc.StatusObject> {
  if (client === undefined) throw new Error('No client');
  return new Promise((resolve) => {
    const deadline = Date.now() + 10_000;
    client.makeUnaryRequest(path, passBytes, passBytes, body, new grpc.Metadata(), { deadline }, (error) => {
      resolve(error === null ? { code: grpc.status.OK, details: '', metadata: new grpc.Metadata() } : error);
    });
  });
}

// Field 1 with wire type 7, which does not exist; and field 1 (bytes) claiming 5 bytes but giving 1.
const badWireType = Buffer.from([0x0f]);
const truncated = Buffer.from([0x0a, 0x05, 0x61]);

let probe = 0;
async function expectServing(): Promise<void> {
  const key = `raw-wire/${probe++}`;
  await put(started().stub(1), key, 'ok');
  expect((await get(started().stub(1), key, LINEARIZABLE))?.value).toBe('ok');
}

describe('malformed protobuf requests', () => {
  it.each([
    ['/raftkv.v1.Kv/Put', 'Put'],
    ['/raftkv.v1.Kv/Get', 'Get'],
    ['/raftkv.v1.Cluster/MemberAdd', 'MemberAdd'],
    ['/raftkv.v1.Cluster/SnapshotSave', 'SnapshotSave'],
  ])('%s answers INVALID_ARGUMENT naming the undecodable request, and the node keeps serving', async (path, method) => {
    for (const body of [badWireType, truncated]) {
      const answer = path.endsWith('SnapshotSave') ? await streamStatus(path, body) : await rawCall(path, body);
      expect([answer.code, answer.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringContaining(`Cannot decode the ${method} request: its bytes are not a valid message`)]);
      expect(answer.metadata.get('kv-field')).toEqual(['request']);
    }
    await expectServing();
  });

  it('a peer Hello that is not a HelloRequest is refused with INVALID_ARGUMENT, and the node keeps serving', async () => {
    const answer = await rawCall('/raftkv.raft.v1.RaftTransport/Hello', badWireType, rawPeer);
    expect([answer.code, answer.details]).toEqual([grpc.status.INVALID_ARGUMENT, expect.stringContaining('Cannot accept peer: Cannot decode the Hello request')]);
    await expectServing();
  });

  it('the client port serves no Raft, and the peer port no Kv or Cluster: UNIMPLEMENTED', async () => {
    const hello = await rawCall('/raftkv.raft.v1.RaftTransport/Hello', badWireType);
    expect(hello.code).toBe(grpc.status.UNIMPLEMENTED);
    for (const path of ['/raftkv.v1.Kv/Put', '/raftkv.v1.Cluster/MemberAdd']) {
      expect((await rawCall(path, badWireType, rawPeer)).code).toBe(grpc.status.UNIMPLEMENTED);
    }
  });
});

/** The final status of a server-streaming call to `path` with request body `body`. */
function streamStatus(path: string, body: Buffer): Promise<grpc.StatusObject> {
  const client = raw;
  if (client === undefined) throw new Error('No client');
  return new Promise((resolve) => {
    const call = client.makeServerStreamRequest(path, passBytes, passBytes, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 });
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    call.on('status', resolve);
  });
}
