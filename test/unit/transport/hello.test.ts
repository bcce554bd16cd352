import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import { admitHello, admitStream, checkHelloResponse, streamMetadata, type LocalIdentity } from '../../../src/transport/hello.js';

const local: LocalIdentity = {
  self: nodeId(1),
  clusterId: 'blue',
  address: '10.0.0.1:7000',
  peerAddress: (node: NodeId) => (node === 2 ? '10.0.0.2:7000' : undefined),
};

describe('admitHello()', () => {
  it('admits a configured peer of our cluster', () => {
    expect(admitHello({ nodeId: '2', clusterId: 'blue', address: 'x:1' }, local)).toEqual({ ok: true, peer: 2, address: 'x:1' });
  });

  it.each<[string, unknown, grpc.status, RegExp]>([
    ['another cluster', { nodeId: '2', clusterId: 'green', address: '' }, grpc.status.FAILED_PRECONDITION, /node "2": it is in cluster "green", node "1" is in cluster "blue"/],
    ['our own node id', { nodeId: '1', clusterId: 'blue', address: '' }, grpc.status.FAILED_PRECONDITION, /same node id/],
    ['an unknown node', { nodeId: '9', clusterId: 'blue', address: '' }, grpc.status.PERMISSION_DENIED, /not in the peer list of node "1"/],
    ['node id 0', { nodeId: '0', clusterId: 'blue', address: '' }, grpc.status.INVALID_ARGUMENT, /node id is 0/],
    ['an unsafe node id', { nodeId: '18446744073709551615', clusterId: 'blue', address: '' }, grpc.status.INVALID_ARGUMENT, /not a safe/],
    ['no cluster id field', { nodeId: '2', address: '' }, grpc.status.INVALID_ARGUMENT, /clusterId is undefined/],
  ])('refuses %s', (_name, request, code, details) => {
    const admission = admitHello(request, local);
    expect(admission.ok).toBe(false);
    if (!admission.ok) {
      expect(admission.code).toBe(code);
      expect(admission.details).toMatch(details);
    }
  });
});

describe('admitStream()', () => {
  it('admits the metadata a peer of ours sends', () => {
    const peer: LocalIdentity = { ...local, self: nodeId(2) };
    expect(admitStream(streamMetadata(peer), local)).toMatchObject({ ok: true, peer: 2 });
  });

  it('refuses a stream without metadata', () => {
    expect(admitStream(new grpc.Metadata(), local)).toMatchObject({ ok: false, code: grpc.status.INVALID_ARGUMENT });
  });
});

describe('checkHelloResponse()', () => {
  it.each<[string, unknown, RegExp | null]>([
    ['the expected node', { nodeId: '2', clusterId: 'blue' }, null],
    ['another node', { nodeId: '3', clusterId: 'blue' }, /peer node "2" at "a:1": node "3" answered/],
    ['another cluster', { nodeId: '2', clusterId: 'red' }, /in cluster "red", this node is in "blue"/],
    ['garbage', 'nope', /hello response is not a message/],
  ])('answers for %s', (_name, response, expected) => {
    const refusal = checkHelloResponse(response, nodeId(2), 'a:1', local);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });
});
