/**
 * Accounting for peer messages refused at the transport boundary: one counter per reason (a plain
 * object, exposed through TransportStats and the NodeStats RPC), the peer's droppedMalformed
 * counter, and a warning limited to one line per peer and reason per interval (warn-limiter.ts).
 */
import type { NodeId } from '../shared/ids.js';
import type { DecodeResult } from './codec.js';
import type { PeerCounters } from './outbox.js';
import type { WarnLimiter } from './warn-limiter.js';
import { refusalKinds, type RefusalKind } from './wire-reader.js';

/** Per message kind, plus `peerIdentity`: Hello and Stream calls refused for who the peer is. */
export type RefusalCounts = Record<RefusalKind | 'peerIdentity', number>;

export class PeerRefusals {
  readonly counts: RefusalCounts = { ...Object.fromEntries(refusalKinds.map((kind) => [kind, 0])), peerIdentity: 0 } as RefusalCounts;

  constructor(private readonly warnings: WarnLimiter) {}

  /**
   * The checked message if `decoded` is one, from `peer` to `self`; otherwise counts and warns,
   * and returns undefined.
   */
  admit(decoded: DecodeResult, peer: NodeId, self: NodeId, counters: PeerCounters): DecodeResult & { ok: true } | undefined {
    if (decoded.ok && decoded.message.from === peer && decoded.message.to === self) return decoded;
    const kind = decoded.ok ? 'misaddressed' : decoded.kind;
    const reason = decoded.ok
      ? `Cannot accept peer message: from node "${decoded.message.from}" to node "${decoded.message.to}" on the stream of node "${peer}"`
      : decoded.reason;
    this.counts[kind] += 1;
    counters.droppedMalformed += 1;
    this.warnings.warn(`refused:${kind}:${peer}`, { peer, kind, reason }, 'dropped peer message');
    return undefined;
  }
}
