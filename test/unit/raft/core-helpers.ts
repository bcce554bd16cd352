// Shared fixtures for unit tests that drive one RaftNode by hand.
import { founderState } from '../../../src/raft/bootstrap.js';
import { defaultTuning, type RaftConfig } from '../../../src/raft/config.js';
import { silentLogger } from '../../../src/raft/logger.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import { RaftNode } from '../../../src/raft/node.js';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import { MemoryLogStore } from '../../../src/storage/memory-log-store.js';

export const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];

/** Node `id` of a freshly founded group of n1..n3, with an in-memory log. */
export function founder(id: NodeId, seed: number, extra: Partial<RaftConfig> = {}): RaftNode {
  const initial = founderState([n1, n2, n3]);
  return new RaftNode({
    ...defaultTuning, id, storage: new MemoryLogStore(initial), applied: initial.snapshot.index,
    confState: initial.snapshot.conf, rng: new SeededRng(seed), logger: silentLogger, ...extra,
  });
}

/** Takes the node's Ready (if any), advances it and returns every message it sends. */
export function sent(node: RaftNode): RaftMessage[] {
  const ready = node.takeReady();
  if (ready === undefined) return [];
  node.advance(ready);
  return [...ready.earlyMessages, ...ready.messages];
}

/** Ticks `node` (node 1) until it leads, granting it `voter`'s votes; the third node never answers. */
export function electWith(node: RaftNode, voter: NodeId): RaftNode {
  for (let i = 0; i < 3 * defaultTuning.electionTicks && node.role !== 'leader'; i++) {
    node.tick();
    for (const m of sent(node)) {
      if (m.type === 'requestVote' && m.to === voter) node.step({ type: 'requestVoteReply', from: voter, to: node.id, term: m.term, preVote: m.preVote, granted: true });
    }
  }
  return node;
}
