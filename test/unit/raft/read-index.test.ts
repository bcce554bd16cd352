import { describe, expect, it } from 'vitest';
import { ReadIndexTracker } from '../../../src/raft/read-index.js';
import { logIndex, nodeId, type NodeId } from '../../../src/shared/ids.js';

const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];
const voters: NodeId[] = [n1, n2, n3];
const ids = (reads: readonly { requestId: string }[]): string[] => reads.map((read) => read.requestId);

describe('ReadIndexTracker', () => {
  it('keeps one read round in flight: reads arriving meanwhile share the next round', () => {
    const reads = new ReadIndexTracker();
    reads.add('r1', logIndex(5), n1);
    expect(reads.takeRoundToSend(voters, n1)).toBe(1);
    reads.add('r2', logIndex(5), n1);
    reads.add('r3', logIndex(6), n1);
    expect(reads.takeRoundToSend(voters, n1)).toBeNull(); // round 1 is unanswered
    reads.ack(n2, 1);
    expect(ids(reads.release(voters, n1))).toEqual(['r1']);
    expect(reads.takeRoundToSend(voters, n1)).toBe(2); // one round for r2 and r3
    expect(reads.takeRoundToSend(voters, n1)).toBeNull();
    reads.ack(n3, 2);
    expect(ids(reads.release(voters, n1))).toEqual(['r2', 'r3']);
  });

  it('a periodic heartbeat carries the waiting reads when the round in flight was lost', () => {
    const reads = new ReadIndexTracker();
    reads.add('r1', logIndex(5), n1);
    expect(reads.takeRoundToSend(voters, n1)).toBe(1); // its messages are lost
    reads.add('r2', logIndex(5), n1);
    expect(reads.takeRoundToSend(voters, n1)).toBeNull();
    expect(reads.takeHeartbeatRound()).toBe(2);
    reads.ack(n2, 2);
    expect(ids(reads.release(voters, n1))).toEqual(['r1', 'r2']);
  });

  it('a single voter never waits for a round', () => {
    const reads = new ReadIndexTracker();
    reads.add('r1', logIndex(1), n1);
    expect(reads.takeRoundToSend([n1], n1)).toBe(1);
    reads.add('r2', logIndex(1), n1);
    expect(reads.takeRoundToSend([n1], n1)).toBe(2);
    expect(ids(reads.release([n1], n1))).toEqual(['r1', 'r2']);
  });
});
