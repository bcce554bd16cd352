/**
 * Goal: classic Raft bugs, each injected into a subclass of the real RaftNode through one of its
 * protected hooks, so tests can prove the simulator's checkers catch them (mutations.test.ts).
 */
import type { LogIndex, Term } from '../../src/shared/ids.js';
import type { Ready } from '../../src/raft/ready.js';
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

/**
 * Lets a follower's append acknowledgements leave before its write, like a leader's appends
 * (src/raft/send-order.ts): the leader may commit on a promise a crash then breaks (thesis §3.8).
 * Caught only because SimNode sends early messages before the disk delay.
 */
class AcksBeforePersist extends RaftNode {
  private readonly originals = new WeakMap<Ready, Ready>();

  override takeReady(): Ready | undefined {
    const ready = super.takeReady();
    if (ready === undefined) return undefined;
    const acks = ready.messages.filter((m) => m.type === 'appendEntriesReply');
    const rest = ready.messages.filter((m) => m.type !== 'appendEntriesReply');
    const moved = { ...ready, earlyMessages: [...ready.earlyMessages, ...acks], messages: rest };
    this.originals.set(moved, ready);
    return moved;
  }

  override advance(ready: Ready): void {
    super.advance(this.originals.get(ready) ?? ready);
  }
}

/**
 * Counts its own new entries toward commit when the Ready is taken, before they are durable
 * (thesis §10.2.1 allows sending before the leader's write only if it does not): one follower's
 * early ack then commits an entry that only a minority holds durably.
 */
class CountsSelfBeforePersist extends RaftNode {
  override takeReady(): Ready | undefined {
    const ready = super.takeReady();
    if (this.role === 'leader') this.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    return ready;
  }
}

export const MUTATIONS = {
  none: realNode,
  'commit-earlier-term': (config) => new CommitsEarlierTermByCounting(config),
  'vote-without-log-check': (config) => new VotesWithoutLogCheck(config),
  'read-without-heartbeat': (config) => new ReadsWithoutHeartbeat(config),
  'ack-before-persist': (config) => new AcksBeforePersist(config),
  'count-self-before-persist': (config) => new CountsSelfBeforePersist(config),
} as const satisfies Record<string, NodeFactory>;

export type MutationName = keyof typeof MUTATIONS;

export function isMutationName(name: string): name is MutationName {
  return Object.hasOwn(MUTATIONS, name);
}
