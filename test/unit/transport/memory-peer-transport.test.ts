import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupId } from '../../../src/shared/ids.js';
import { MemoryTransportHub, type MemoryPeerTransport } from '../../../src/transport/memory-peer-transport.js';
import { collect, heartbeat, n, range, readSeqs, sendHeartbeats } from './helpers.js';

const open: MemoryPeerTransport[] = [];

function join(hub: MemoryTransportHub, self: number, peers: number[], limits = {}): MemoryPeerTransport {
  const transport = hub.join(n(self), { peers: peers.map(n), limits });
  open.push(transport);
  return transport;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

describe('MemoryPeerTransport', () => {
  it('delivers one turn of messages as one batch, in order, with their groups', async () => {
    const hub = new MemoryTransportHub();
    const a = join(hub, 1, [2, 3]);
    const b = join(hub, 2, [1, 3]);
    const received = collect(b);
    sendHeartbeats(a, 1, 2, range(1, 50));
    await vi.waitFor(() => expect(received).toHaveLength(50));
    expect(readSeqs(received)).toEqual(range(1, 50));
    expect(received[4]?.group).toBe(groupId(5 % 3));
    expect(b.stats().peers.get(n(1))).toMatchObject({ batchesReceived: 1, messagesReceived: 50 });
    expect(a.stats().peers.get(n(2))).toMatchObject({ batchesSent: 1, messagesSent: 50, connected: true });
  });

  it('holds messages while a link is cut and delivers them after it heals', async () => {
    const hub = new MemoryTransportHub();
    const a = join(hub, 1, [2]);
    const b = join(hub, 2, [1]);
    const received = collect(b);
    hub.partition([n(1)], [n(2)]);
    sendHeartbeats(a, 1, 2, [1, 2, 3]);
    a.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(0);
    expect(a.stats().peers.get(n(2))).toMatchObject({ queuedMessages: 3, connected: false });
    hub.partition([n(1)], [n(2)], true);
    a.flush();
    await vi.waitFor(() => expect(readSeqs(received)).toEqual([1, 2, 3]));
  });

  it('drops and counts past the queue bound and for unknown peers', () => {
    const hub = new MemoryTransportHub();
    const a = join(hub, 1, [2], { peerQueueMessagesMax: 4, batchMessagesMax: 4 });
    sendHeartbeats(a, 1, 2, range(1, 6));
    a.send(n(9), groupId(0), heartbeat(1, 9, 1));
    const stats = a.stats();
    expect(stats.peers.get(n(2))).toMatchObject({ queuedMessages: 4, droppedQueueFull: 2 });
    expect(stats.droppedUnknownPeer).toBe(1);
  });

  it('asserts that send() names the message receiver', () => {
    const a = join(new MemoryTransportHub(), 1, [2, 3]);
    expect(() => a.send(n(3), groupId(0), heartbeat(1, 2, 1))).toThrow(/addressed to node 2/);
  });

  it('does not deliver to a closed node', async () => {
    const hub = new MemoryTransportHub();
    const a = join(hub, 1, [2]);
    const b = join(hub, 2, [1]);
    const received = collect(b);
    await b.close();
    sendHeartbeats(a, 1, 2, [1]);
    a.flush();
    await new Promise((resolve) => setImmediate(resolve));
    expect(received).toHaveLength(0);
    expect(a.stats().peers.get(n(2))?.queuedMessages).toBe(1);
  });
});
