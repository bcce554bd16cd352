/**
 * Which node leads each Raft group, as far as this client knows. Keyed by group: on a sharded
 * cluster the shard map gives a key's group (routing-table.ts) and seeds each group's leader;
 * on an unsharded one every key is in group 0.
 *
 * Rules, in order (a hint is what a NOT_LEADER refusal or a leader's reply told us):
 * 1. A hint with a lower term than the cached one is stale and ignored: a node that lags behind
 *    an election still names the old leader.
 * 2. A hint with a higher term replaces the entry, even when it names no leader: the cached leader
 *    belongs to a past term and will only answer NOT_LEADER.
 * 3. At the same term there is at most one leader (Raft's election safety), so a hint only fills in
 *    what the entry lacks; it never replaces a known leader with another.
 * 4. `forget` drops an unreachable leader's address but keeps the term, so rule 1 still holds, and
 *    the same leader is not taken back at that term: after a leader dies, its followers keep naming
 *    it until they elect another, and following those hints would only hit the dead node again.
 */

/**
 * What the client knows about one group's leadership.
 *
 * @example
 * ```ts
 * const entry: LeaderEntry | undefined = client.leader();
 * if (entry?.address !== undefined) console.log(`leader ${entry.leaderId} at ${entry.address}, term ${entry.term}`);
 * ```
 */
export interface LeaderEntry {
  /** Invariant: never decreases for a group. */
  readonly term: number;
  /** A leader of this term that did not answer; hints naming it at this term are ignored. */
  readonly unreachableLeaderId?: number;
  readonly leaderId?: number;
  /** Where to send calls for the leader; absent when unknown. */
  readonly address?: string;
}

/**
 * A leader observation: from a NOT_LEADER hint, or from a leader's own successful reply.
 *
 * @example
 * ```ts
 * cache.observe(0, { term: 7, leaderId: 2, address: '127.0.0.1:7002' });
 * ```
 */
export interface LeaderObservation {
  readonly term: number;
  readonly leaderId?: number;
  readonly address?: string;
}

/**
 * Cached leaders per group.
 *
 * @example
 * ```ts
 * const cache = new LeaderCache();
 * cache.observe(0, { term: 3, leaderId: 1, address: '127.0.0.1:7001' });
 * cache.leaderAddress(0); // '127.0.0.1:7001'
 * cache.observe(0, { term: 2, leaderId: 3, address: '127.0.0.1:7003' }); // false: stale
 * ```
 */
export class LeaderCache {
  private readonly groups = new Map<number, LeaderEntry>();

  entry(group: number): LeaderEntry | undefined {
    return this.groups.get(group);
  }

  /** The cached leader's address, if one is known. */
  leaderAddress(group: number): string | undefined {
    return this.groups.get(group)?.address;
  }

  /** Applies an observation; returns whether the cache changed. */
  observe(group: number, seen: LeaderObservation): boolean {
    if (!Number.isSafeInteger(seen.term) || seen.term < 0) return false;
    const cached = this.groups.get(group);
    const address = seen.address === '' ? undefined : seen.address;
    if (cached === undefined || seen.term > cached.term) {
      this.groups.set(group, entryOf(seen.term, seen.leaderId, address));
      return true;
    }
    if (seen.term < cached.term) return false;
    if (seen.leaderId !== undefined && seen.leaderId === cached.unreachableLeaderId) return false;
    const knownOther = cached.leaderId !== undefined && seen.leaderId !== undefined && seen.leaderId !== cached.leaderId;
    if (knownOther) return false;
    const leaderId = cached.leaderId ?? seen.leaderId;
    const nextAddress = cached.address ?? (seen.leaderId === undefined ? undefined : address);
    if (leaderId === cached.leaderId && nextAddress === cached.address) return false;
    this.groups.set(group, { ...entryOf(cached.term, leaderId, nextAddress), ...unreachable(cached.unreachableLeaderId) });
    return true;
  }

  /** The leader at `address` did not answer: stop sending there, keep the term floor. */
  forget(group: number, address: string): void {
    const cached = this.groups.get(group);
    if (cached?.address !== address) return;
    this.groups.set(group, { term: cached.term, ...unreachable(cached.leaderId) });
  }
}

function unreachable(leaderId: number | undefined): { unreachableLeaderId?: number } {
  return leaderId === undefined ? {} : { unreachableLeaderId: leaderId };
}

function entryOf(term: number, leaderId: number | undefined, address: string | undefined): LeaderEntry {
  return { term, ...(leaderId === undefined ? {} : { leaderId }), ...(address === undefined ? {} : { address }) };
}
