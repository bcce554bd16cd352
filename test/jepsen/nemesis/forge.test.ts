// Goal: the `forge` nemesis sends what its kind says. Method: many seeded batches through the
// real codec, as the target's transport would decode them: refusable kinds are all refused (so
// the run tests the boundary), the others decode (so it tests the core), far terms are beyond the
// core's window, and campaigns stay at the next term (protocol-legal, see forge.ts).
import { describe, expect, it } from 'vitest';
import { TERM_RISE_PER_WINDOW_MAX } from '../../../src/shared/limits.js';
import { decodeBatch, decodeMessage } from '../../../src/transport/codec.js';
import { raftTransportProto } from '../../../src/transport/proto-loader.js';
import { forgeBatch, type ForgeTarget } from './forge.js';

const proto = raftTransportProto();
const target: ForgeTarget = { to: 2, as: 1, groups: [0, 1, 2], term: 7, commit: 40 };

/** Decodes a batch as PeerInbound does; true for each message it would hand to the core. */
function accepted(bytes: Buffer): { term: number; type: string }[] | 'refused' {
  let wire: unknown;
  try {
    wire = proto.deserializeBatch(bytes);
  } catch {
    return 'refused';
  }
  const batch = decodeBatch(wire);
  if (!batch.ok || batch.from !== target.as) return 'refused';
  return batch.messages.flatMap((item) => {
    const decoded = decodeMessage(item);
    if (!decoded.ok || decoded.message.from !== target.as || decoded.message.to !== target.to) return [];
    return [{ term: decoded.message.term, type: decoded.message.type }];
  });
}

describe('forgeBatch()', () => {
  it('sends every kind, refusable ones refused, the others decodable with their kind of term', () => {
    const kinds = new Set<string>();
    for (let seed = 0; seed < 400; seed++) {
      const batch = forgeBatch(seed, target);
      kinds.add(batch.kind);
      const bytes = 'bytes' in batch ? batch.bytes : proto.serializeBatch({ fromNode: target.as, messages: batch.messages });
      const result = accepted(bytes);
      if (batch.kind === 'garbage') continue; // random bytes may even parse; nothing else to say
      if (['outOfBounds', 'inconsistent', 'misaddressed'].includes(batch.kind)) {
        expect(result === 'refused' ? [] : result, `seed ${seed} (${batch.kind})`).toEqual([]);
        continue;
      }
      expect(result).not.toBe('refused');
      if (result === 'refused') continue;
      expect(result.length, `seed ${seed} (${batch.kind})`).toBe('messages' in batch ? batch.messages.length : 0);
      for (const m of result) {
        if (batch.kind === 'farTerm') expect(m.term).toBeGreaterThan(target.term + TERM_RISE_PER_WINDOW_MAX);
        if (batch.kind === 'stale') expect(m.term).toBeLessThan(target.term);
        if (batch.kind === 'campaign') expect(m.term).toBeLessThanOrEqual(target.term + 1);
      }
    }
    expect([...kinds].sort()).toEqual(['campaign', 'farTerm', 'garbage', 'inconsistent', 'misaddressed', 'outOfBounds', 'stale']);
  });
});
