import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../../src/transport/codec.js';
import { KV_PROTO_FILE, RAFT_PROTO_FILE, kvServiceDefinition, loadProtos, protoRootDir, raftTransportProto } from '../../../src/transport/proto-loader.js';

describe('proto-loader', () => {
  it('protoRootDir() finds both proto files from src/', () => {
    expect(existsSync(join(protoRootDir(), RAFT_PROTO_FILE))).toBe(true);
    expect(existsSync(join(protoRootDir(), KV_PROTO_FILE))).toBe(true);
  });

  it('kvServiceDefinition() has every public RPC as unary', () => {
    const service = kvServiceDefinition();
    expect(Object.keys(service).sort()).toEqual(['BatchPut', 'Delete', 'Get', 'Put', 'Range', 'Status', 'Txn']);
    for (const method of Object.values(service)) expect([method.requestStream, method.responseStream]).toEqual([false, false]);
  });

  it('raftTransportProto() names the two RaftTransport methods', () => {
    const proto = raftTransportProto();
    expect([proto.helloPath, proto.streamPath]).toEqual(['/raftkv.raft.v1.RaftTransport/Hello', '/raftkv.raft.v1.RaftTransport/Stream']);
  });

  it('decodes peer messages with the documented options: longs as numbers, defaults, oneof names', () => {
    const proto = raftTransportProto();
    const decoded = proto.deserializeBatch(proto.serializeBatch({ fromNode: 7, messages: [{ term: '9007199254740991', heartbeat: {} }] }));
    expect(decoded).toEqual({
      fromNode: 7,
      messages: [{ groupId: 0, from: 0, to: 0, term: 9007199254740991, body: 'heartbeat', heartbeat: { commit: 0, readSeq: 0, quiesce: false } }],
    });
  });

  it('a peer uint64 of 2^53 or more decodes as an unsafe number, which the codec refuses', () => {
    const proto = raftTransportProto();
    const decoded = proto.deserializeBatch(proto.serializeBatch({ fromNode: '9007199254740993', messages: [] }));
    expect(Number.isSafeInteger((decoded as { fromNode: number }).fromNode)).toBe(false);
    expect(decodeBatch(decoded)).toMatchObject({ ok: false, reason: expect.stringMatching(/fromNode .* not a safe non-negative integer/) });
  });

  it('decodes Kv messages with longs as strings', () => {
    const definition = loadProtos()['raftkv.v1.ResponseHeader'];
    if (definition === undefined || definition.format !== 'Protocol Buffer 3 DescriptorProto') throw new Error('ResponseHeader is not a message');
    const message = definition as MessageTypeDefinition<object, object>;
    expect(message.deserialize(message.serialize({ revision: '9007199254740993' }))).toMatchObject({ revision: '9007199254740993' });
  });

  it('decodes Kv enums by name with LINEARIZABLE as the default', () => {
    const definition = loadProtos()['raftkv.v1.GetRequest'];
    if (definition === undefined || definition.format !== 'Protocol Buffer 3 DescriptorProto') throw new Error('GetRequest is not a message');
    const message = definition as MessageTypeDefinition<object, object>;
    expect(message.deserialize(Buffer.alloc(0))).toEqual({ key: Buffer.alloc(0), consistency: 'READ_CONSISTENCY_LINEARIZABLE' });
  });
});
