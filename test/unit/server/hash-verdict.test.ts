// judgeHash(): a replica is corrupt when a majority of the replicas reporting at the same index
// disagrees with it; ties are settled only against a replica that has not been verified since start.
import { describe, expect, it } from 'vitest';
import { judgeHash, type HashVerdict, type ReplicaHash } from '../../../src/server/hash-verdict.js';

const t = (hash: string): ReplicaHash => ({ hash, trusted: true });
const u = (hash: string): ReplicaHash => ({ hash, trusted: false });

describe('judgeHash()', () => {
  it.each<[string, ReplicaHash, ReplicaHash[], HashVerdict]>([
    ['all three agree', t('a'), [t('a'), t('a')], 'agree'],
    ['the minority of three is corrupt', t('x'), [t('a'), t('a')], 'corrupt'],
    ['the majority of three agrees', t('a'), [t('a'), t('x')], 'agree'],
    ['a restarted replica agreeing with one peer is verified', u('a'), [t('a')], 'agree'],
    ['a restarted replica differing from a trusted peer is corrupt', u('x'), [t('a')], 'corrupt'],
    ['a trusted replica differing from a restarted one stays', t('a'), [u('x')], 'undecided'],
    ['two restarted replicas that differ wait for more', u('a'), [u('x')], 'undecided'],
    ['no peer reported', u('a'), [], 'undecided'],
    ['all three differ', t('a'), [t('b'), t('c')], 'corrupt'],
    ['two against two, trusted', t('a'), [t('a'), t('b'), t('b')], 'undecided'],
  ])('%s', (_name, self, peers, verdict) => {
    expect(judgeHash(self, peers)).toBe(verdict);
  });
});
