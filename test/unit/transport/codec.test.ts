// Goal: every RaftMessage survives encode -> decode unchanged, both as plain objects and through
// real protobuf bytes (proto-loader with our options), and the decoder refuses, without throwing,
// anything a broken or hostile peer could send. Method: fast-check generators per variant
// (arbitraries.ts; FC_SEED / FC_NUM_RUNS as elsewhere), a table of hand-made malformed wire
// objects, and fuzzing with arbitrary values.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { groupId, logIndex, nodeId, term } from '../../../src/shared/ids.js';
import {
  ENTRIES_PER_MESSAGE_MAX, ENTRY_BYTES_MAX, GROUP_ID_MAX, LOG_INDEX_MAX, MEMBERS_MAX, PEER_COUNTER_MAX, REQUEST_ID_CHARS_MAX,
  SNAPSHOT_CHUNK_BYTES_MAX, TERM_MAX,
} from '../../../src/shared/limits.js';
import type { RaftMessage, RaftMessageType } from '../../../src/raft/messages.js';
import { decodeBatch, decodeMessage, encodeBatch, encodeMessage, estimateMessageBytes } from '../../../src/transport/codec.js';
import { raftTransportProto } from '../../../src/transport/proto-loader.js';
import { encodeConfChange } from '../../../src/raft/conf-change.js';
import { anyMessageArb, fcParameters, groupIdArb, messageArbs } from './arbitraries.js';

const proto = raftTransportProto();

function throughProtobuf(group: ReturnType<typeof groupId>, message: RaftMessage): unknown {
  const bytes = proto.serializeBatch(encodeBatch(message.from, [encodeMessage(group, message)]));
  const batch = decodeBatch(proto.deserializeBatch(bytes));
  if (!batch.ok) throw new Error(batch.reason);
  expect(batch.from).toBe(message.from);
  expect(batch.messages).toHaveLength(1);
  return batch.messages[0];
}

describe('codec round trip', () => {
  const types = Object.keys(messageArbs) as RaftMessageType[];

  it.each(types)('decodeMessage(encodeMessage()) returns the same %s', (type) => {
    fc.assert(
      fc.property(groupIdArb, messageArbs[type], (group, message) => {
        expect(decodeMessage(encodeMessage(group, message))).toEqual({ ok: true, group, message });
      }),
      fcParameters,
    );
  });

  it.each(types)('a %s survives protobuf bytes with longs as strings', (type) => {
    fc.assert(
      fc.property(groupIdArb, messageArbs[type], (group, message) => {
        expect(decodeMessage(throughProtobuf(group, message))).toEqual({ ok: true, group, message });
      }),
      fcParameters,
    );
  });

  it('decodeMessage() copies bytes into plain Uint8Arrays', () => {
    const message: RaftMessage = {
      type: 'appendEntries', from: nodeId(1), to: nodeId(2), term: term(3), prevLogIndex: logIndex(0), prevLogTerm: term(0),
      entries: [{ index: logIndex(1), term: term(3), type: 'normal', data: new Uint8Array([7, 8]) }], commit: logIndex(0),
    };
    const decoded = decodeMessage(throughProtobuf(groupId(0), message));
    if (!decoded.ok || decoded.message.type !== 'appendEntries') throw new Error('expected an append');
    const data = decoded.message.entries[0]?.data;
    expect(data?.constructor).toBe(Uint8Array);
    expect(Array.from(data ?? [])).toEqual([7, 8]);
  });

  it('estimateMessageBytes() bounds the protobuf size of a message from above', () => {
    const empty = proto.serializeBatch(encodeBatch(nodeId(1), [])).byteLength;
    fc.assert(
      fc.property(groupIdArb, anyMessageArb, (group, message) => {
        const batch = proto.serializeBatch(encodeBatch(nodeId(1), [encodeMessage(group, message)])).byteLength;
        // A batch of one adds the message, its field tag and its length prefix (1..4 bytes).
        expect(estimateMessageBytes(message)).toBeGreaterThanOrEqual(batch - empty - 2);
      }),
      fcParameters,
    );
  });
});

/** A valid wire append in the form proto-loader produces (uint64 as strings), to mutate. */
function validAppend(): Record<string, unknown> {
  return {
    groupId: '4', from: '1', to: '2', term: '5', body: 'appendEntries',
    appendEntries: {
      prevLogIndex: '10', prevLogTerm: '4', commit: '9',
      entries: [
        { index: '11', term: '4', type: 'ENTRY_TYPE_NORMAL', data: Buffer.from([1]) },
        { index: '12', term: '5', type: 'ENTRY_TYPE_CONF_CHANGE', data: Buffer.from(encodeConfChange({ type: 'addLearner', node: nodeId(4) })) },
      ],
    },
  };
}

function validSnapshot(): Record<string, unknown> {
  return {
    groupId: '0', from: '1', to: '2', term: '5', body: 'installSnapshot',
    installSnapshot: {
      meta: { index: '100', term: '5', voters: ['1', '2'], learners: ['3'] }, offset: '0', data: Buffer.alloc(3), done: false,
      dataSha256: createHash('sha256').update(Buffer.alloc(3)).digest(),
    },
  };
}

type Mutation = [name: string, make: () => unknown, reason: RegExp];

function withField(base: Record<string, unknown>, path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  let target: unknown = base;
  for (const key of path.slice(0, -1)) target = (target as Record<string | number, unknown>)[key];
  (target as Record<string | number, unknown>)[path[path.length - 1] ?? ''] = value;
  return base;
}

const entry = (i: number, field: string): (string | number)[] => ['appendEntries', 'entries', i, field];

const malformed: Mutation[] = [
  ['null', () => null, /message is missing/],
  ['a number', () => 42, /not a message/],
  ['an array', () => [], /not a message/],
  ['no body', () => withField(validAppend(), ['body'], undefined), /body is missing or of an unknown type/],
  ['an unknown body', () => withField(validAppend(), ['body'], 'snapshotRequest'), /unknown type/],
  ['a body named but absent', () => withField(validAppend(), ['appendEntries'], null), /appendEntries is missing/],
  ['an inherited body name', () => withField(validAppend(), ['body'], 'toString'), /unknown type/],
  ['a term of 2^64 - 1', () => withField(validAppend(), ['term'], '18446744073709551615'), /message\.term .* not a safe/],
  ['a term of 2^53', () => withField(validAppend(), ['term'], '9007199254740992'), /not a safe/],
  ['a term of 2^53 - 1', () => withField(validAppend(), ['term'], '9007199254740991'), /term is 9007199254740991, above the limit of 4503599627370496/],
  ['a term one past TERM_MAX', () => withField(validAppend(), ['term'], String(TERM_MAX + 1)), /above the limit/],
  ['a commit past LOG_INDEX_MAX', () => withField(validAppend(), ['appendEntries', 'commit'], String(LOG_INDEX_MAX + 1)), /commit is .* above the limit/],
  ['a group past GROUP_ID_MAX', () => withField(validAppend(), ['groupId'], String(GROUP_ID_MAX + 1)), /groupId is .* above the limit/],
  ['a prevLogTerm above the message term', () => withField(validAppend(), ['appendEntries', 'prevLogTerm'], '6'), /prevLogTerm is 6, above the message term 5/],
  ['a membership entry that does not decode', () => withField(validAppend(), entry(1, 'data'), Buffer.alloc(3)), /entries\[1\]\.data is 3 bytes, shorter than a membership change/],
  ['a membership entry with node id 0', () => withField(validAppend(), entry(1, 'data'), Buffer.alloc(9, 0).fill(1, 0, 1)), /names no valid node id/],
  ['too many entries', () => withField(validAppend(), ['appendEntries', 'entries'], new Array(ENTRIES_PER_MESSAGE_MAX + 1).fill(null)), /entries has 65537 items, above the limit/],
  ['an entry over its byte bound', () => withField(validAppend(), entry(0, 'data'), Buffer.alloc(ENTRY_BYTES_MAX + 1)), /above the limit of 67108864/],
  ['a snapshot meta term above the message term', () => withField(validSnapshot(), ['installSnapshot', 'meta', 'term'], '6'), /meta\.term is 6, above the message term 5/],
  ['a snapshot chunk over its byte bound', () => withField(validSnapshot(), ['installSnapshot', 'data'], Buffer.alloc(SNAPSHOT_CHUNK_BYTES_MAX + 1)), /data is .* bytes, above the limit/],
  ['too many members', () => withField(validSnapshot(), ['installSnapshot', 'meta', 'learners'], Array.from({ length: MEMBERS_MAX + 1 }, (_, i) => String(i + 10))), /learners has 257 items/],
  ['a snapshot offset past the counter bound', () => withField(validSnapshot(), ['installSnapshot', 'offset'], String(PEER_COUNTER_MAX + 1)), /offset is .* above the limit/],
  ['a long request id', () => ({ groupId: '1', from: '1', to: '2', term: '1', body: 'readIndexRequest', readIndexRequest: { requestId: 'x'.repeat(REQUEST_ID_CHARS_MAX + 1) } }), /requestId is 257 characters/],
  ['a negative term string', () => withField(validAppend(), ['term'], '-1'), /not a safe/],
  ['a negative term number', () => withField(validAppend(), ['term'], -1), /not a safe/],
  ['a fractional term', () => withField(validAppend(), ['term'], 1.5), /not a safe/],
  ['an exponent', () => withField(validAppend(), ['term'], '1e3'), /not a safe/],
  ['a hex term', () => withField(validAppend(), ['term'], '0x10'), /not a safe/],
  ['a padded term', () => withField(validAppend(), ['term'], ' 1'), /not a safe/],
  ['an empty term', () => withField(validAppend(), ['term'], ''), /not a safe/],
  ['a huge digit string', () => withField(validAppend(), ['term'], '9'.repeat(10_000)), /10000-character string/],
  ['a boolean group', () => withField(validAppend(), ['groupId'], true), /groupId is boolean/],
  ['a missing group', () => withField(validAppend(), ['groupId'], undefined), /groupId is undefined/],
  ['node id 0', () => withField(validAppend(), ['from'], '0'), /message\.from is 0, not a node id/],
  ['from equal to', () => withField(validAppend(), ['to'], '1'), /both node 1/],
  ['an entry gap', () => withField(validAppend(), entry(1, 'index'), '13'), /entries\[1\]\.index is 13, expected 12/],
  ['a first entry not after prevLogIndex', () => withField(validAppend(), entry(0, 'index'), '10'), /expected 11/],
  ['an entry term above the message term', () => withField(validAppend(), entry(1, 'term'), '6'), /outside 4\.\.5/],
  ['an entry term below prevLogTerm', () => withField(validAppend(), entry(0, 'term'), '3'), /outside 4\.\.5/],
  ['an unspecified entry type', () => withField(validAppend(), entry(0, 'type'), 'ENTRY_TYPE_UNSPECIFIED'), /not a known entry type/],
  ['an unknown numeric entry type', () => withField(validAppend(), entry(0, 'type'), 7), /not a known entry type/],
  ['entry data as a string', () => withField(validAppend(), entry(0, 'data'), 'AQ=='), /data is string, not bytes/],
  ['entries not a list', () => withField(validAppend(), ['appendEntries', 'entries'], {}), /entries is object, not a list/],
  ['a snapshot without meta', () => withField(validSnapshot(), ['installSnapshot', 'meta'], null), /meta is missing/],
  ['a voter listed twice', () => withField(validSnapshot(), ['installSnapshot', 'meta', 'voters'], ['1', '1']), /lists a node twice/],
  ['a voter that is also a learner', () => withField(validSnapshot(), ['installSnapshot', 'meta', 'learners'], ['2']), /lists a node twice/],
  ['a learner id 0', () => withField(validSnapshot(), ['installSnapshot', 'meta', 'learners'], ['0']), /learners\[0\] is 0/],
  ['a string boolean', () => withField(validSnapshot(), ['installSnapshot', 'done'], 'true'), /done is string, not a boolean/],
  ['a numeric request id', () => ({ groupId: '1', from: '1', to: '2', term: '1', body: 'readIndexRequest', readIndexRequest: { requestId: 5 } }), /requestId is number/],
];

describe('decodeMessage() rejections', () => {
  it('accepts the unmutated samples', () => {
    expect(decodeMessage(validAppend()).ok).toBe(true);
    expect(decodeMessage(validSnapshot()).ok).toBe(true);
  });

  it.each(malformed)('refuses %s', (_name, make, reason) => {
    const result = decodeMessage(make());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('never throws on arbitrary values', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      expect(decodeMessage(value).ok).toBe(false);
    }), fcParameters);
  });

  it('never throws when any one field of a valid message is replaced', () => {
    const leaves = [['term'], ['from'], ['groupId'], ['body'], entry(0, 'index'), entry(0, 'type'), entry(1, 'data'), ['appendEntries', 'commit']];
    fc.assert(
      fc.property(fc.constantFrom(...leaves), fc.anything(), (path, value) => {
        const result = decodeMessage(withField(validAppend(), path, value));
        if (result.ok) expect(result.message.type).toBe('appendEntries');
      }),
      fcParameters,
    );
  });
});

describe('decodeBatch()', () => {
  it.each<[string, unknown, RegExp]>([
    ['a missing batch', undefined, /batch is not a message/],
    ['a sender of 0', { fromNode: '0', messages: [] }, /fromNode is 0/],
    ['an unsafe sender', { fromNode: '18446744073709551615', messages: [] }, /not a safe/],
    ['messages that are not a list', { fromNode: '1', messages: null }, /messages is object, not a list/],
  ])('refuses %s', (_name, wire, reason) => {
    const result = decodeBatch(wire);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('passes messages through unchecked, for per-message decoding', () => {
    expect(decodeBatch({ fromNode: '3', messages: [1, 'x'] })).toEqual({ ok: true, from: 3, messages: [1, 'x'] });
  });
});
