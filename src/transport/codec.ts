/**
 * RaftMessage <-> GroupMessage (proto/raftkv/v1/raft.proto), as plain objects in the proto-loader
 * shape (see proto-loader.ts for the options). The protobuf bytes themselves are proto-loader's job.
 *
 * Decoding is the trust boundary for peer input: it checks every field's type and range, turns
 * uint64 strings into safe integers, builds branded ids, and checks the structure the core asserts
 * on (entries of an append are consecutive from prevLogIndex + 1), so that nothing a peer sends can
 * trip an assertion in src/raft. It answers `{ ok: false, reason }` for bad input and never throws
 * for it.
 */
import { unreachable } from '../shared/assert.js';
import type { GroupId, NodeId } from '../shared/ids.js';
import type { RaftMessage, RaftMessageType } from '../raft/messages.js';
import type { EntryType, LogEntry, SnapshotMeta } from '../raft/types.js';
import type { WireEntry, WireEntryType, WireGroupMessage, WireMessageBatch, WireSnapshotMeta } from './wire-types.js';
import { WireFormatError, nodeIdFromWire, readArray, readGroupId, readNodeId, readObject, readTerm, type RefusalKind } from './wire-reader.js';
import { decodeBody, type Envelope } from './codec-bodies.js';
import { chunkChecksumBytes, chunkSha256 } from './chunk-checksum.js';

export type DecodeResult =
  | { readonly ok: true; readonly group: GroupId; readonly message: RaftMessage }
  | { readonly ok: false; readonly kind: RefusalKind; readonly reason: string };

export type BatchDecodeResult =
  | { readonly ok: true; readonly from: NodeId; readonly messages: readonly unknown[] }
  | { readonly ok: false; readonly kind: RefusalKind; readonly reason: string };

const entryTypeToWire: Readonly<Record<EntryType, WireEntryType>> = {
  normal: 'ENTRY_TYPE_NORMAL',
  confChange: 'ENTRY_TYPE_CONF_CHANGE',
};

function encodeEntry(entry: LogEntry): WireEntry {
  return { index: entry.index, term: entry.term, type: entryTypeToWire[entry.type], data: entry.data };
}

function encodeMeta(meta: SnapshotMeta): WireSnapshotMeta {
  const addresses = Object.entries(meta.conf.addresses ?? {}).map(([node, address]) => ({ node: Number(node), address }));
  return { index: meta.index, term: meta.term, voters: meta.conf.voters, learners: meta.conf.learners, addresses };
}

/** The wire form of one message. Numbers stay numbers: they are safe integers by construction. */
export function encodeMessage(group: GroupId, message: RaftMessage): WireGroupMessage {
  const envelope = { groupId: group, from: message.from, to: message.to, term: message.term };
  const m = message;
  switch (m.type) {
    case 'requestVote':
      return { ...envelope, body: m.type, requestVote: { lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm, preVote: m.preVote, transfer: m.transfer } };
    case 'requestVoteReply':
      return { ...envelope, body: m.type, requestVoteReply: { preVote: m.preVote, granted: m.granted } };
    case 'appendEntries':
      return { ...envelope, body: m.type, appendEntries: { prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm, entries: m.entries.map(encodeEntry), commit: m.commit } };
    case 'appendEntriesReply':
      return { ...envelope, body: m.type, appendEntriesReply: { success: m.success, index: m.index, hintIndex: m.hintIndex, hintTerm: m.hintTerm } };
    case 'heartbeat':
      return { ...envelope, body: m.type, heartbeat: { commit: m.commit, readSeq: m.readSeq, quiesce: m.quiesce } };
    case 'heartbeatReply':
      return { ...envelope, body: m.type, heartbeatReply: { readSeq: m.readSeq } };
    case 'installSnapshot':
      return { ...envelope, body: m.type, installSnapshot: { meta: encodeMeta(m.meta), offset: m.offset, data: m.data, dataSha256: chunkSha256(m.data), done: m.done } };
    case 'installSnapshotReply':
      return { ...envelope, body: m.type, installSnapshotReply: { snapshotIndex: m.snapshotIndex, offset: m.offset, done: m.done, accepted: m.accepted } };
    case 'timeoutNow':
      return { ...envelope, body: m.type, timeoutNow: {} };
    case 'readIndexRequest':
      return { ...envelope, body: m.type, readIndexRequest: { requestId: m.requestId } };
    case 'readIndexReply':
      return { ...envelope, body: m.type, readIndexReply: { requestId: m.requestId, index: m.index, rejected: m.rejected, overloaded: m.overloaded } };
    default:
      return unreachable(m);
  }
}

/** Checks one GroupMessage from a peer and rebuilds the RaftMessage it carries. */
export function decodeMessage(wire: unknown): DecodeResult {
  try {
    const object = readObject(wire, 'message');
    const group = readGroupId(object, 'groupId', 'message');
    const envelope: Envelope = {
      from: readNodeId(object, 'from', 'message'),
      to: readNodeId(object, 'to', 'message'),
      term: readTerm(object, 'term', 'message'),
    };
    const name = object['body'];
    if (typeof name !== 'string' || !isBodyName(name)) {
      // Unset, or set to a member this release does not know (proto3 skips unknown fields).
      return { ok: false, kind: 'malformed', reason: 'Cannot decode peer message: body is missing or of an unknown type' };
    }
    const body = readObject(object[name], `message.${name}`);
    return { ok: true, group, message: decodeBody(name, body, envelope) };
  } catch (error) {
    if (error instanceof WireFormatError) return { ok: false, kind: error.kind, reason: `Cannot decode peer message: ${error.message}` };
    throw error;
  }
}

const bodyNames: ReadonlySet<string> = new Set<RaftMessageType>([
  'requestVote', 'requestVoteReply', 'appendEntries', 'appendEntriesReply', 'heartbeat', 'heartbeatReply',
  'installSnapshot', 'installSnapshotReply', 'timeoutNow', 'readIndexRequest', 'readIndexReply',
]);

function isBodyName(name: string): name is RaftMessageType {
  return bodyNames.has(name);
}

export function encodeBatch(from: NodeId, messages: readonly WireGroupMessage[]): WireMessageBatch {
  return { fromNode: from, messages };
}

/** Checks a MessageBatch's own fields; its messages are left for `decodeMessage`, one by one. */
export function decodeBatch(wire: unknown): BatchDecodeResult {
  try {
    const object = readObject(wire, 'batch');
    const from = nodeIdFromWire(object['fromNode'], 'batch.fromNode');
    return { ok: true, from, messages: readArray(object, 'messages', 'batch') };
  } catch (error) {
    if (error instanceof WireFormatError) return { ok: false, kind: error.kind, reason: `Cannot decode peer batch: ${error.message}` };
    throw error;
  }
}

/**
 * Worst-case protobuf sizes with every uint64 at 2^53 - 1 (8 varint bytes plus a tag): the
 * envelope and the largest fixed body fields (36 + 4 + 29 for an append reply) and the framing of an
 * install snapshot (~84) all fit in the message figure.
 */
const MESSAGE_OVERHEAD_BYTES = 96;
/** index and term (18), type (2), entry and data framing (up to 10). */
const ENTRY_OVERHEAD_BYTES = 32;
/** Tag and length prefix of the chunk's data_sha256 field. */
const CHECKSUM_FIELD_OVERHEAD_BYTES = 2;
/** One packed node id in a membership list. */
const NODE_ID_BYTES = 8;

/**
 * An upper bound on the encoded size of a message (not counting the batch framing around it), for
 * the queue byte bounds. Exact sizes are only known once a whole batch is serialized, which is
 * where the byte counters get theirs.
 */
export function estimateMessageBytes(message: RaftMessage): number {
  switch (message.type) {
    case 'appendEntries':
      return message.entries.reduce((sum, entry) => sum + ENTRY_OVERHEAD_BYTES + entry.data.byteLength, MESSAGE_OVERHEAD_BYTES);
    case 'installSnapshot': {
      const ids = message.meta.conf.voters.length + message.meta.conf.learners.length;
      const addressBytes = Object.values(message.meta.conf.addresses ?? {}).reduce((sum, a) => sum + NODE_ID_BYTES + 8 + 3 * a.length, 0);
      return MESSAGE_OVERHEAD_BYTES + ids * NODE_ID_BYTES + addressBytes + CHECKSUM_FIELD_OVERHEAD_BYTES + chunkChecksumBytes + message.data.byteLength;
    }
    case 'readIndexRequest':
    case 'readIndexReply':
      // UTF-8 needs at most 3 bytes per UTF-16 code unit.
      return MESSAGE_OVERHEAD_BYTES + 3 * message.requestId.length;
    default:
      return MESSAGE_OVERHEAD_BYTES;
  }
}
