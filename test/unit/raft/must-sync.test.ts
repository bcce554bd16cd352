/** Which writes need an fsync before the Ready's messages go (src/raft/ready.ts, mustSync). */
import { describe, expect, it } from 'vitest';
import { mustSync } from '../../../src/raft/ready.js';
import { logIndex, nodeId, term } from '../../../src/shared/ids.js';

const durable = { term: term(3), vote: null, commit: logIndex(10) };

describe('mustSync', () => {
  it.each([
    ['nothing changes', undefined, 0, false, false],
    ['only the commit index moves', { ...durable, commit: logIndex(12) }, 0, false, false],
    ['entries are written', undefined, 1, false, true],
    ['a snapshot chunk is written', undefined, 0, true, true],
    ['the term moves', { term: term(4), vote: null, commit: logIndex(10) }, 0, false, true],
    ['a vote is cast', { term: term(3), vote: nodeId(2), commit: logIndex(10) }, 0, false, true],
  ] as const)('when %s', (_what, hard, entries, chunk, expected) => {
    expect(mustSync(durable, hard, entries, chunk)).toBe(expected);
  });
});
