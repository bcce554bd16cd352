/**
 * Goal: classic Raft bugs, each injected into a subclass of the real RaftNode through one of its
 * protected hooks, so tests can prove the simulator's checkers catch them (mutations.test.ts).
 */
import type { LogIndex, Term } from '../../src/shared/ids.js';
import { RaftNode, realNode, type NodeFactory } from './core.js';

/** Commits an entry of an earlier term by counting replicas (the bug of thesis Figure 3.7). */
class CommitsEarlierTermByCounting extends RaftNode {
  protected override canCommitAt(_index: LogIndex): boolean {
    return true;
  }
}

/** Grants votes without the election restriction (thesis §3.6.1). */
class VotesWithoutLogCheck extends RaftNode {
  protected override isUpToDate(_lastIndex: LogIndex, _lastTerm: Term): boolean {
    return true;
  }
}

/** Answers ReadIndex from its commit index without confirming it still leads (thesis §6.4). */
class ReadsWithoutHeartbeat extends RaftNode {
  protected override readNeedsHeartbeatRound(): boolean {
    return false;
  }
}

export const MUTATIONS = {
  none: realNode,
  'commit-earlier-term': (config) => new CommitsEarlierTermByCounting(config),
  'vote-without-log-check': (config) => new VotesWithoutLogCheck(config),
  'read-without-heartbeat': (config) => new ReadsWithoutHeartbeat(config),
} as const satisfies Record<string, NodeFactory>;

export type MutationName = keyof typeof MUTATIONS;

export function isMutationName(name: string): name is MutationName {
  return Object.hasOwn(MUTATIONS, name);
}
