/**
 * fast-check generators for every RaftMessage variant, shaped like what the core sends: distinct
 * sender and receiver, append entries consecutive from prevLogIndex + 1 with terms between
 * prevLogTerm and the message term, membership lists without repeats. Integers reach both 0 and
 * Number.MAX_SAFE_INTEGER (fast-check biases towards bounds).
 */
import fc from 'fast-check';
import { groupId, logIndex, nodeId, term, type GroupId, type LogIndex, type NodeId, type Term } from '../../../src/shared/ids.js';
import type { RaftMessage, RaftMessageType } from '../../../src/raft/messages.js';
import type { LogEntry, SnapshotMeta } from '../../../src/raft/types.js';
import { confChangeProblem, encodeConfChange } from '../../../src/raft/conf-change.js';
import { GROUP_ID_MAX, LOG_INDEX_MAX, PEER_COUNTER_MAX, TERM_MAX } from '../../../src/shared/limits.js';

const MAX = Number.MAX_SAFE_INTEGER;
const ENTRIES_MAX = 6;

export const fcParameters = (() => {
  const seedText = process.env['FC_SEED'];
  return { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 200), ...(seedText === undefined ? {} : { seed: Number(seedText) }) };
})();

export const nodeIdArb: fc.Arbitrary<NodeId> = fc.integer({ min: 1, max: MAX }).map(nodeId);
export const groupIdArb: fc.Arbitrary<GroupId> = fc.integer({ min: 0, max: GROUP_ID_MAX }).map(groupId);
export const termArb: fc.Arbitrary<Term> = fc.integer({ min: 0, max: TERM_MAX }).map(term);
const indexArb: fc.Arbitrary<LogIndex> = fc.integer({ min: 0, max: LOG_INDEX_MAX }).map(logIndex);
const counterArb = fc.integer({ min: 0, max: PEER_COUNTER_MAX });
const bytesArb = fc.uint8Array({ maxLength: 64 });
/** A term no higher than `ceiling`, from a seed. */
const termAtMost = (ceiling: Term, seed: number): Term => term(seed % (ceiling + 1));
const confChangeDataArb = fc
  .tuple(fc.constantFrom('addVoter', 'addLearner', 'removeNode') , fc.integer({ min: 1, max: MAX }))
  .map(([type, node]) => encodeConfChange({ type, node: nodeId(node) }));

const envelopeArb = fc
  .record({ from: nodeIdArb, to: nodeIdArb, term: termArb })
  .filter((envelope) => envelope.from !== envelope.to);

/** Envelope, plus entries that continue the log after (prevLogIndex, prevLogTerm). */
const appendArb = fc
  .tuple(envelopeArb, fc.integer({ min: 0, max: LOG_INDEX_MAX - ENTRIES_MAX }), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.oneof(bytesArb, confChangeDataArb)), { maxLength: ENTRIES_MAX }), indexArb)
  .map(([envelope, prev, prevTermSeed, raw, commit]) => {
    const prevLogTerm = term(prevTermSeed % (envelope.term + 1));
    const span = envelope.term - prevLogTerm + 1;
    const terms = raw.map(([seed]) => prevLogTerm + (seed % span)).sort((a, b) => a - b);
    const entries: LogEntry[] = raw.map(([, isConf, data], i) => ({
      index: logIndex(prev + 1 + i),
      term: term(terms[i] ?? prevLogTerm),
      // Only a decodable change may be a membership entry (codec-bodies.ts).
      type: isConf && confChangeProblem(data) === null ? 'confChange' : 'normal',
      data,
    }));
    return { ...envelope, type: 'appendEntries' as const, prevLogIndex: logIndex(prev), prevLogTerm, entries, commit };
  });

const metaArb = (ceiling: Term): fc.Arbitrary<SnapshotMeta> => fc
  .tuple(indexArb, fc.nat(), fc.uniqueArray(nodeIdArb, { maxLength: 7 }), fc.nat(), fc.boolean())
  .map(([index, termSeed, ids, split, withAddresses]) => {
    const metaTerm = termAtMost(ceiling, termSeed);
    const at = ids.length === 0 ? 0 : split % (ids.length + 1);
    const conf = { voters: ids.slice(0, at), learners: ids.slice(at) };
    if (!withAddresses || ids.length === 0) return { index, term: metaTerm, conf };
    const addresses = Object.fromEntries(ids.map((id) => [String(id), `10.0.0.${id % 250}:7001`]));
    return { index, term: metaTerm, conf: { ...conf, addresses } };
  });

type Variant<K extends RaftMessageType> = Extract<RaftMessage, { type: K }>;

/** `fields` may depend on the envelope's term (terms a message carries never exceed its own). */
function variant<K extends RaftMessageType, R>(type: K, fields: fc.Arbitrary<R> | ((t: Term) => fc.Arbitrary<R>)): fc.Arbitrary<Variant<K>> {
  return envelopeArb.chain((envelope) => (typeof fields === 'function' ? fields(envelope.term) : fields)
    .map((rest) => ({ ...envelope, ...rest, type }) as unknown as Variant<K>));
}

export const messageArbs: { readonly [K in RaftMessageType]: fc.Arbitrary<Variant<K>> } = {
  requestVote: variant('requestVote', (t) => fc.record({ lastLogIndex: indexArb, lastLogTerm: fc.nat().map((seed) => termAtMost(t, seed)), preVote: fc.boolean(), transfer: fc.boolean() })),
  requestVoteReply: variant('requestVoteReply', fc.record({ preVote: fc.boolean(), granted: fc.boolean() })),
  appendEntries: appendArb,
  appendEntriesReply: variant('appendEntriesReply', (t) => fc.record({ success: fc.boolean(), index: indexArb, hintIndex: indexArb, hintTerm: fc.nat().map((seed) => termAtMost(t, seed)) })),
  heartbeat: variant('heartbeat', fc.record({ commit: indexArb, readSeq: counterArb, quiesce: fc.boolean() })),
  heartbeatReply: variant('heartbeatReply', fc.record({ readSeq: counterArb })),
  installSnapshot: variant('installSnapshot', (t) => fc.record({ meta: metaArb(t), offset: counterArb, data: bytesArb, done: fc.boolean() })),
  installSnapshotReply: variant('installSnapshotReply', fc.record({ snapshotIndex: indexArb, offset: counterArb, done: fc.boolean(), accepted: fc.boolean() })),
  timeoutNow: variant('timeoutNow', fc.constant({})),
  readIndexRequest: variant('readIndexRequest', fc.record({ requestId: fc.string({ unit: 'grapheme', maxLength: 24 }) })),
  readIndexReply: variant('readIndexReply', fc.record({ requestId: fc.string({ unit: 'grapheme', maxLength: 24 }), index: indexArb, rejected: fc.boolean(), overloaded: fc.boolean() })),
};

export const anyMessageArb: fc.Arbitrary<RaftMessage> = fc.oneof(...Object.values(messageArbs));
