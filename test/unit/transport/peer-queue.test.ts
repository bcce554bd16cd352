import { describe, expect, it } from 'vitest';
import { groupId, nodeId, term } from '../../../src/shared/ids.js';
import { encodeMessage } from '../../../src/transport/codec.js';
import { PeerQueue, type QueuedMessage } from '../../../src/transport/peer-queue.js';

function item(readSeq: number, bytes: number): QueuedMessage {
  const wire = encodeMessage(groupId(0), { type: 'heartbeatReply', from: nodeId(1), to: nodeId(2), term: term(1), readSeq });
  return { wire, bytes };
}

function seqs(items: readonly QueuedMessage[]): number[] {
  return items.map((queued) => (queued.wire.body === 'heartbeatReply' ? Number(queued.wire.heartbeatReply.readSeq) : -1));
}

describe('PeerQueue', () => {
  it('push() refuses the message that would pass the message bound', () => {
    const queue = new PeerQueue(2, 1000);
    expect([queue.push(item(1, 10)), queue.push(item(2, 10)), queue.push(item(3, 10))]).toEqual([true, true, false]);
    expect(queue.length).toBe(2);
    expect(queue.bytes).toBe(20);
  });

  it('push() refuses the message that would pass the byte bound, yet takes smaller ones', () => {
    const queue = new PeerQueue(10, 100);
    expect([queue.push(item(1, 60)), queue.push(item(2, 50)), queue.push(item(3, 40))]).toEqual([true, false, true]);
    expect(queue.bytes).toBe(100);
  });

  it('takeBatch() keeps FIFO order and stops at the batch bounds', () => {
    const queue = new PeerQueue(100, 10_000);
    for (let i = 1; i <= 10; i++) queue.push(item(i, 10));
    expect(seqs(queue.takeBatch(3, 1000))).toEqual([1, 2, 3]);
    expect(seqs(queue.takeBatch(100, 25))).toEqual([4, 5]);
    expect(seqs(queue.takeBatch(100, 1000))).toEqual([6, 7, 8, 9, 10]);
    expect(queue.length).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it('takeBatch() takes one message larger than the byte bound on its own', () => {
    const queue = new PeerQueue(10, 10_000);
    queue.push(item(1, 5000));
    queue.push(item(2, 10));
    expect(seqs(queue.takeBatch(10, 100))).toEqual([1]);
    expect(seqs(queue.takeBatch(10, 100))).toEqual([2]);
  });

  it('stays in order across compaction of consumed slots', () => {
    const queue = new PeerQueue(5000, 1_000_000);
    for (let i = 0; i < 3000; i++) queue.push(item(i, 1));
    const taken: number[] = [];
    while (queue.length > 0) taken.push(...seqs(queue.takeBatch(7, 1000)));
    expect(taken).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
