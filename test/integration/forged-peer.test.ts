// Goal: issue #14 item 1. A member's forged or broken peer messages must never make a node assert,
// crash, or adopt a term it cannot leave. One forged heartbeat with term 2^53 - 1 used to take a
// whole 3-node cluster down for good (every node saved the term, then died on `term + 1` at its
// next campaign, and again on every restart). Method: a real 3-node cluster; a PeerForger speaks
// the peer protocol to every node with a real member's id, sending out-of-bound fields (refused at
// the transport) and in-bound terms far beyond the cluster's (never stepped; the core raises its
// term by one window at most, src/raft/election.ts); then every node must still run, agree on a
// leader at a term at most one window above the old one, and serve writes.
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_INDEX_MAX, TERM_MAX, TERM_RISE_PER_WINDOW_MAX } from '../../src/shared/limits.js';
import { pollUntil } from './cluster.js';
import { useCluster } from './use-cluster.js';
import { LINEARIZABLE, get, onLeader, putRequest } from './kv-helpers.js';
import { forgedAppend, forgedEntry, forgedHeartbeat, forgedVoteRequest, PeerForger } from '../support/peer-forger.js';

const forgers: PeerForger[] = [];

const started = useCluster({ size: 3 });
afterAll(async () => {
  for (const forger of forgers) forger.close();
});

/** NodeStats.peerMessagesRefused as numbers. */
function refusedOf(stats: Record<string, unknown>): Record<string, number> {
  const map = stats['peerMessagesRefused'];
  if (typeof map !== 'object' || map === null) return {};
  return Object.fromEntries(Object.entries(map).map(([reason, n]) => [reason, Number(n)]));
}

/** Forged messages in one batch whose far term is within bounds, so only the term window stops them. */
const FAR_TERMS_PER_BATCH = 3;

/** What a buggy member sends node `to` as node `from`, last the one the node logs it refused. */
function forgedBatch(from: number, to: number, term: number): Record<string, unknown>[] {
  const e = (t: number | bigint) => ({ group: 0, from, to, term: t });
  const far = term + 2 ** 40; // within TERM_MAX: only the core's term window stops it
  return [
    forgedHeartbeat(e(far)),
    forgedVoteRequest(e(far), { lastLogIndex: LOG_INDEX_MAX, lastLogTerm: far, preVote: false, transfer: true }),
    forgedAppend(e(far), { prevLogIndex: 0, prevLogTerm: 0, commit: 0 }),
    forgedAppend(e(term), { prevLogIndex: 5, prevLogTerm: term, commit: 9, entries: [forgedEntry(7, term)] }),
    forgedAppend(e(term), { prevLogIndex: LOG_INDEX_MAX + 1, prevLogTerm: 0, commit: 0 }),
    forgedHeartbeat({ group: 2 ** 40, from, to, term }),
    forgedHeartbeat(e(2n ** 64n - 1n)),
    forgedHeartbeat(e(TERM_MAX + 1)),
    forgedAppend(e(2 ** 53 - 1), { prevLogIndex: 0, prevLogTerm: 0, commit: 0 }),
    forgedHeartbeat(e(2 ** 53 - 1)),
  ];
}

describe('forged peer messages from a member', () => {
  it('leave every node running, with a leader at most one term window higher, serving writes', async () => {
    const c = started();
    const ids = c.ids();
    const termBefore = Math.max(...(await Promise.all(ids.map((id) => c.status(id)))).map((s) => s.term));
    for (const to of ids) {
      const from = ids.find((id) => id !== to) ?? 0;
      const forger = new PeerForger(c.peerAddress(to), from);
      forgers.push(forger);
      forger.sendBatch(forgedBatch(from, to, termBefore));
    }
    // The refusals come last in each batch: once counted, the messages before them were stepped.
    for (const id of ids) {
      const refused = await pollUntil(`node ${id} to refuse the forged messages`, 20_000, async () => {
        if (!c.isRunning(id)) throw new Error(`node ${id} exited: ${c.logText(id).slice(-2000)}`);
        const counts = refusedOf(await c.stub(id).callCluster('NodeStats', {}, { deadlineMs: 2_000 }));
        return counts.outOfBounds === 6 ? counts : undefined;
      });
      expect(refused).toEqual({ malformed: 0, outOfBounds: 6, inconsistent: 1, misaddressed: 0, peerIdentity: 0 });
      expect(c.logText(id)).toContain('dropped peer message');
    }
    await onLeader(c, 'Put', putRequest('forged/after', 'ok'));
    const leader = await c.waitForLeader();
    expect((await get(c.stub(leader), 'forged/after', LINEARIZABLE))?.value).toBe('ok');
    // Longer than an election timeout has passed: a node that took the forged term would have
    // campaigned past 2^53 and exited by now, and a leader elected at it would show here. One
    // batch reaches each node once, with three in-bound far terms; each can move the node up one
    // window, and does only if the window rolled over between them: a node's ticks catch up
    // before every peer message, so on a stalled, loaded machine it can (seen once: 2 windows).
    for (const id of ids) expect(c.isRunning(id)).toBe(true);
    const termsAfter = (await Promise.all(ids.map((id) => c.status(id)))).map((s) => s.term);
    for (const t of termsAfter) expect(t).toBeLessThan(termBefore + FAR_TERMS_PER_BATCH * TERM_RISE_PER_WINDOW_MAX + 100);
  });
});
