// Goal: the `forge` nemesis, a buggy member (issue #14): it speaks the peer protocol to a node with
// a real member's id and cluster id (today's credentials, hello.ts) and sends what a member with a
// bug, a bit flip or a replayed file could: garbage bytes, fields past the documented bounds
// (src/shared/limits.ts), append entries that contradict their own envelope, misaddressed
// messages, terms far beyond the cluster's (up to TERM_MAX), stale replays, and disruptive but
// protocol-legal campaigns (vote requests and TimeoutNow at the node's term + 1). The run must stay
// linearizable and lose no acknowledged write.
//
// What it does not send, on purpose: content a member could only fake by lying inside the current
// term (a second leader's heartbeat carrying a commit index, a granted vote it never cast). Raft,
// like any crash-fault-tolerant protocol, cannot survive a member that lies at a valid term; the
// boundary can refuse what is malformed or impossible, not a well-formed lie. That needs the
// authentication of the security issue. The core does drop the one such lie it can recognise: a
// second leader in a term whose leader it already follows (src/raft/follower.ts).
import type * as grpc from '@grpc/grpc-js';
import { SeededRng, type Rng } from '../../../src/shared/rng.js';
import { GROUP_ID_MAX, LOG_INDEX_MAX, TERM_MAX, TERM_RISE_PER_WINDOW_MAX } from '../../../src/shared/limits.js';
import {
  forgedAppend, forgedBody, forgedEntry, forgedHeartbeat, forgedVoteRequest, PeerForger, u64, type Envelope, type ForgedMessage,
} from '../../support/peer-forger.js';

/** What the forger knows of its target when it builds a batch. */
export interface ForgeTarget {
  readonly to: number;
  readonly as: number;
  /** Groups that exist (group 0 always). */
  readonly groups: readonly number[];
  /** The target's term in the chosen group, if it answered Status; 1 otherwise. */
  readonly term: number;
  readonly commit: number;
}

export const FORGE_KINDS = ['garbage', 'outOfBounds', 'inconsistent', 'misaddressed', 'farTerm', 'stale', 'campaign'] as const;
export type ForgeKind = (typeof FORGE_KINDS)[number];

/** Messages per forged batch. */
const BATCH_MESSAGES_MAX = 8;
const GARBAGE_BYTES_MAX = 512;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.nextInt(items.length)] as T;
const big = (rng: Rng, min: number, max: number): number => min + Math.floor(rng.nextFloat() * (max - min));

/** Values past a bound: each is refused by the codec before the core sees it. */
function pastBound(rng: Rng): bigint {
  return pick(rng, [2n ** 53n - 1n, 2n ** 53n, BigInt(TERM_MAX) + 1n, 2n ** 64n - 1n, BigInt(LOG_INDEX_MAX) + BigInt(1 + rng.nextInt(1000))]);
}

function outOfBounds(rng: Rng, t: ForgeTarget, e: Envelope): ForgedMessage {
  const bad = pastBound(rng);
  switch (rng.nextInt(5)) {
    case 0: return forgedHeartbeat({ ...e, term: bad }, t.commit);
    case 1: return forgedAppend(e, { prevLogIndex: bad, prevLogTerm: 0, commit: 0 });
    case 2: return forgedHeartbeat({ ...e, group: GROUP_ID_MAX + 1 + rng.nextInt(1000) });
    case 3: return forgedVoteRequest({ ...e, term: bad }, { lastLogIndex: bad, lastLogTerm: 0, preVote: false, transfer: true });
    default: return { ...forgedHeartbeat(e), from: '0' };
  }
}

function inconsistent(rng: Rng, t: ForgeTarget, e: Envelope): ForgedMessage {
  const prev = t.commit + rng.nextInt(5);
  switch (rng.nextInt(4)) {
    case 0: return forgedAppend(e, { prevLogIndex: prev, prevLogTerm: t.term, commit: prev, entries: [forgedEntry(prev + 2, t.term)] });
    case 1: return forgedAppend(e, { prevLogIndex: prev, prevLogTerm: t.term, commit: prev, entries: [forgedEntry(prev + 1, t.term + 1)] });
    case 2: return forgedAppend(e, { prevLogIndex: prev, prevLogTerm: t.term, commit: prev, entries: [forgedEntry(prev + 1, t.term, new Uint8Array(3), 'ENTRY_TYPE_CONF_CHANGE')] });
    default: return forgedAppend(e, { prevLogIndex: prev, prevLogTerm: t.term + 1, commit: prev });
  }
}

/** Beyond what any node may reach in one election timeout, at most TERM_MAX: the core's window drops it. */
function farTerm(rng: Rng, t: ForgeTarget, e: Envelope): ForgedMessage {
  const far = { ...e, term: big(rng, t.term + 2 * TERM_RISE_PER_WINDOW_MAX, TERM_MAX) };
  switch (rng.nextInt(5)) {
    case 0: return forgedHeartbeat(far, LOG_INDEX_MAX);
    case 1: return forgedAppend(far, { prevLogIndex: t.commit, prevLogTerm: t.term, commit: t.commit + 100, entries: [forgedEntry(t.commit + 1, far.term, new Uint8Array([1]))] });
    case 2: return forgedVoteRequest(far, { lastLogIndex: LOG_INDEX_MAX, lastLogTerm: far.term, preVote: false, transfer: true });
    case 3: return forgedBody(far, 'timeoutNow', {});
    default: return forgedBody(far, 'appendEntriesReply', { success: true, index: u64(LOG_INDEX_MAX), hintIndex: '0', hintTerm: '0' });
  }
}

/** A replay from an older term: Raft drops it (or answers so the "stale leader" steps down). */
function stale(rng: Rng, t: ForgeTarget, e: Envelope): ForgedMessage {
  const old = { ...e, term: Math.max(0, t.term - 1 - rng.nextInt(3)) };
  return rng.nextInt(2) === 0
    ? forgedHeartbeat(old, t.commit + 1000)
    : forgedAppend(old, { prevLogIndex: 0, prevLogTerm: 0, commit: t.commit + 1000, entries: [forgedEntry(1, old.term, new Uint8Array([9]))] });
}

/** Protocol-legal disruption any real member may cause: a campaign at the next term. */
function campaign(rng: Rng, t: ForgeTarget, e: Envelope): ForgedMessage {
  const next = { ...e, term: t.term + 1 };
  if (rng.nextInt(3) === 0) return forgedBody({ ...e, term: t.term }, 'timeoutNow', {});
  return forgedVoteRequest(next, { lastLogIndex: t.commit, lastLogTerm: t.term, preVote: rng.nextInt(2) === 0, transfer: rng.nextInt(4) === 0 });
}

const builders: Readonly<Record<Exclude<ForgeKind, 'garbage'>, (rng: Rng, t: ForgeTarget, e: Envelope) => ForgedMessage>> = {
  outOfBounds, inconsistent, farTerm, stale, campaign,
  misaddressed: (rng, t, e) => forgedHeartbeat({ ...e, to: rng.nextInt(2) === 0 ? t.as : t.to + 100, from: rng.nextInt(2) === 0 ? t.to : t.as }),
};

export type ForgedBatch = { readonly kind: 'garbage'; readonly bytes: Buffer } | { readonly kind: ForgeKind; readonly messages: readonly ForgedMessage[] };

/** One batch of one kind, all decided by `seed`. */
export function forgeBatch(seed: number, target: ForgeTarget): ForgedBatch {
  const rng = new SeededRng(seed);
  const kind = pick(rng, FORGE_KINDS);
  if (kind === 'garbage') {
    const bytes = Buffer.alloc(1 + rng.nextInt(GARBAGE_BYTES_MAX));
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextInt(256);
    return { kind, bytes };
  }
  const messages = Array.from({ length: 1 + rng.nextInt(BATCH_MESSAGES_MAX) }, () => {
    const e: Envelope = { group: pick(rng, target.groups), from: target.as, to: target.to, term: target.term };
    return builders[kind](rng, target, e);
  });
  return { kind, messages };
}

/** One PeerForger per (target, claimed member), reused across batches. */
export class Forgery {
  private readonly forgers = new Map<string, PeerForger>();
  readonly sent = new Map<ForgeKind, number>();

  /**
   * `credentialsOf(member)`: how to dial as that member; with --secure, its own node certificate,
   * so the forgeries come from a member the peer port admits (a buggy member, not a stranger).
   */
  constructor(private readonly addressOf: (node: number) => string, private readonly credentialsOf?: (member: number) => grpc.ChannelCredentials) {}

  send(target: ForgeTarget, seed: number): ForgeKind {
    const key = `${target.to}:${target.as}`;
    let forger = this.forgers.get(key);
    if (forger === undefined) {
      forger = new PeerForger(this.addressOf(target.to), target.as, 'raftkv', this.credentialsOf?.(target.as));
      this.forgers.set(key, forger);
    }
    const batch = forgeBatch(seed, target);
    if (batch.kind === 'garbage' && 'bytes' in batch) forger.sendBytes(batch.bytes);
    else if ('messages' in batch) forger.sendBatch(batch.messages);
    this.sent.set(batch.kind, (this.sent.get(batch.kind) ?? 0) + 1);
    return batch.kind;
  }

  /** Batches sent per kind, e.g. "412 batches (garbage 60, farTerm 58, ...)"; empty if none. */
  summary(): string {
    const total = [...this.sent.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return '';
    return `${total} forged batches (${[...this.sent].map(([kind, n]) => `${kind} ${n}`).join(', ')})`;
  }

  close(): void {
    for (const forger of this.forgers.values()) forger.close();
    this.forgers.clear();
  }
}
