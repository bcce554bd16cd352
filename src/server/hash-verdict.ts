/**
 * Which replica is wrong when state hashes at one log index differ (docs/node.md, consistency
 * check). Each replica judges only itself, from its own hash and those its peers report for the
 * same index. Replicas that applied the same log must hold the same state, so:
 *   - a strict majority of the reporting replicas (itself included) agrees with it: it is fine;
 *   - a strict majority disagrees: it is in the minority, and its state is the corrupt one;
 *   - a tie (two replicas reporting, or 2 against 2): nobody can tell by counting. A replica that
 *     has been verified since it started (trusted) keeps serving; one that has not (just restarted,
 *     which is when a flipped byte on disk shows) is corrupt if a trusted peer disagrees, and
 *     otherwise stays unverified until more replicas report.
 */
export interface ReplicaHash {
  readonly hash: string;
  /** Verified since its start and not corrupt. */
  readonly trusted: boolean;
}

export type HashVerdict = 'agree' | 'corrupt' | 'undecided';

export function judgeHash(self: ReplicaHash, peers: readonly ReplicaHash[]): HashVerdict {
  if (peers.length === 0) return 'undecided';
  const agreeing = 1 + peers.filter((p) => p.hash === self.hash).length;
  const total = 1 + peers.length;
  if (2 * agreeing > total) return 'agree';
  if (2 * agreeing < total) return 'corrupt';
  if (self.trusted) return 'undecided';
  return peers.some((p) => p.trusted && p.hash !== self.hash) ? 'corrupt' : 'undecided';
}
