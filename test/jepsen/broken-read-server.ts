// A deliberately broken raftkv server, for the test that proves the fault harness catches stale
// reads ("the checker bites"). It is the real server with one change made in this process only:
// RaftNode.readIndex no longer confirms leadership with a quorum round (thesis §6.4), it answers at
// once with the local commit index, so a linearizable Get serves whatever this node has applied.
// A node cut off from the majority then answers reads with stale values. Run exactly like
// `src/cli/raftkv.ts`: `node --import tsx test/jepsen/broken-read-server.ts serve --node-id ...`.
import { RaftNode } from '../../src/raft/node.js';
import type { CoreResult } from '../../src/raft/ready.js';

RaftNode.prototype.readIndex = function brokenReadIndex(this: RaftNode, requestId: string): CoreResult<void> {
  this.readStates.push({ requestId, index: this.log.committed });
  return { ok: true, value: undefined };
};

console.error('raftkv: BROKEN READ PATH (test build): linearizable reads skip ReadIndex');
await import('../../src/cli/raftkv.js');
