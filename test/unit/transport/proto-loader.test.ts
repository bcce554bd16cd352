import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageTypeDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
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

  it('decodes with the documented options: longs and enums as strings, defaults, oneof names', () => {
    const definition = loadProtos()['raftkv.v1.GetResponse'];
    expect(definition).toBeDefined();
    const proto = raftTransportProto();
    const decoded = proto.deserializeBatch(proto.serializeBatch({ fromNode: '9007199254740993', messages: [{ heartbeat: {} }] }));
    expect(decoded).toEqual({
      fromNode: '9007199254740993',
      messages: [{ groupId: '0', from: '0', to: '0', term: '0', body: 'heartbeat', heartbeat: { commit: '0', readSeq: '0', quiesce: false } }],
    });
  });

  it('decodes Kv enums by name with LINEARIZABLE as the default', () => {
    const definition = loadProtos()['raftkv.v1.GetRequest'];
    if (definition === undefined || definition.format !== 'Protocol Buffer 3 DescriptorProto') throw new Error('GetRequest is not a message');
    const message = definition as MessageTypeDefinition<object, object>;
    expect(message.deserialize(Buffer.alloc(0))).toEqual({ key: Buffer.alloc(0), consistency: 'READ_CONSISTENCY_LINEARIZABLE' });
  });
});
