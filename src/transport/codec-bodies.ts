/**
 * Decoders for each `GroupMessage.body` member (the half of codec.ts that rebuilds RaftMessages).
 * They throw `WireFormatError` on bad input; codec.ts catches it at the boundary.
 */
import type { LogIndex, NodeId, Term } from '../shared/ids.js';
import type { RaftMessage, RaftMessageType } from '../raft/messages.js';
import type { EntryType, LogEntry, SnapshotMeta } from '../raft/types.js';
import { readCheckedChunkData } from './chunk-checksum.js';
import {
  WireFormatError,
  nodeIdFromWire,
  readArray,
  readBool,
  readBytes,
  readLogIndex,
  readObject,
  readString,
  readTerm,
  readUint,
  type WireObject,
} from './wire-reader.js';

export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

type BodyDecoder = (body: WireObject, envelope: Envelope, path: string) => RaftMessage;

const entryTypeFromWire: Readonly<Record<string, EntryType>> = {
  ENTRY_TYPE_NORMAL: 'normal',
  ENTRY_TYPE_CONF_CHANGE: 'confChange',
};

function decodeEntryType(value: unknown, path: string): EntryType {
  // Unknown numeric values (a newer peer's enum) stay numbers under `enums: String`.
  const type = typeof value === 'string' && Object.hasOwn(entryTypeFromWire, value) ? entryTypeFromWire[value] : undefined;
  if (type === undefined) throw new WireFormatError(`${path} is not a known entry type`);
  return type;
}

function decodeEntry(wire: unknown, path: string): LogEntry {
  const object = readObject(wire, path);
  return {
    index: readLogIndex(object, 'index', path),
    term: readTerm(object, 'term', path),
    type: decodeEntryType(object['type'], `${path}.type`),
    data: readBytes(object, 'data', path),
  };
}

/**
 * Entries must continue the log right after prevLogIndex, one index each, with terms that never go
 * down and never exceed the sender's term (a leader only holds entries of its term or older). The
 * core's log asserts contiguity when appending, so a broken peer must be stopped here.
 */
function decodeEntries(body: WireObject, prevLogIndex: LogIndex, prevLogTerm: Term, messageTerm: Term, path: string): LogEntry[] {
  const entries = readArray(body, 'entries', path).map((wire, i) => decodeEntry(wire, `${path}.entries[${i}]`));
  let lastTerm: number = prevLogTerm;
  for (const [i, entry] of entries.entries()) {
    if (entry.index !== prevLogIndex + 1 + i) {
      throw new WireFormatError(`${path}.entries[${i}].index is ${entry.index}, expected ${prevLogIndex + 1 + i}`);
    }
    if (entry.term < lastTerm || entry.term > messageTerm) {
      throw new WireFormatError(`${path}.entries[${i}].term is ${entry.term}, outside ${lastTerm}..${messageTerm}`);
    }
    lastTerm = entry.term;
  }
  return entries;
}

function decodeNodeIds(body: WireObject, key: string, path: string): NodeId[] {
  return readArray(body, key, path).map((value, i) => nodeIdFromWire(value, `${path}.${key}[${i}]`));
}

function decodeMeta(wire: unknown, path: string): SnapshotMeta {
  const object = readObject(wire, path);
  const voters = decodeNodeIds(object, 'voters', path);
  const learners = decodeNodeIds(object, 'learners', path);
  // Membership lists are sets and a node is either a voter or a learner; the core relies on both.
  if (new Set([...voters, ...learners]).size !== voters.length + learners.length) {
    throw new WireFormatError(`${path} lists a node twice among voters and learners`);
  }
  const addresses = decodeAddresses(object, path);
  const conf = Object.keys(addresses).length === 0 ? { voters, learners } : { voters, learners, addresses };
  return { index: readLogIndex(object, 'index', path), term: readTerm(object, 'term', path), conf };
}

/** Absent on old peers; each entry a node id and a non-empty address string. */
function decodeAddresses(object: WireObject, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (object['addresses'] === undefined) return out;
  for (const [i, item] of readArray(object, 'addresses', path).entries()) {
    const entry = readObject(item, `${path}.addresses[${i}]`);
    const node = nodeIdFromWire(entry['node'], `${path}.addresses[${i}].node`);
    const address = entry['address'];
    if (typeof address !== 'string' || address.length === 0 || address.length > 1024) {
      throw new WireFormatError(`${path}.addresses[${i}].address must be a non-empty string of at most 1024 characters`);
    }
    out[String(node)] = address;
  }
  return out;
}

/** Plain counters (offsets, ReadIndex rounds), not ids: safe non-negative integers. */
function readCount(body: WireObject, key: string, path: string): number {
  return readUint(body, key, path);
}

const decoders: { readonly [K in RaftMessageType]: BodyDecoder } = {
  requestVote: (b, e, p) => ({
    ...e, type: 'requestVote', lastLogIndex: readLogIndex(b, 'lastLogIndex', p), lastLogTerm: readTerm(b, 'lastLogTerm', p),
    preVote: readBool(b, 'preVote', p), transfer: readBool(b, 'transfer', p),
  }),
  requestVoteReply: (b, e, p) => ({ ...e, type: 'requestVoteReply', preVote: readBool(b, 'preVote', p), granted: readBool(b, 'granted', p) }),
  appendEntries: (b, e, p) => {
    const prevLogIndex = readLogIndex(b, 'prevLogIndex', p);
    const prevLogTerm = readTerm(b, 'prevLogTerm', p);
    const entries = decodeEntries(b, prevLogIndex, prevLogTerm, e.term, p);
    return { ...e, type: 'appendEntries', prevLogIndex, prevLogTerm, entries, commit: readLogIndex(b, 'commit', p) };
  },
  appendEntriesReply: (b, e, p) => ({
    ...e, type: 'appendEntriesReply', success: readBool(b, 'success', p), index: readLogIndex(b, 'index', p),
    hintIndex: readLogIndex(b, 'hintIndex', p), hintTerm: readTerm(b, 'hintTerm', p),
  }),
  heartbeat: (b, e, p) => ({ ...e, type: 'heartbeat', commit: readLogIndex(b, 'commit', p), readSeq: readCount(b, 'readSeq', p), quiesce: b['quiesce'] === undefined ? false : readBool(b, 'quiesce', p) }),
  heartbeatReply: (b, e, p) => ({ ...e, type: 'heartbeatReply', readSeq: readCount(b, 'readSeq', p) }),
  installSnapshot: (b, e, p) => ({
    ...e, type: 'installSnapshot', meta: decodeMeta(b['meta'], `${p}.meta`), offset: readCount(b, 'offset', p),
    data: readCheckedChunkData(b, p), done: readBool(b, 'done', p),
  }),
  installSnapshotReply: (b, e, p) => ({
    ...e, type: 'installSnapshotReply', snapshotIndex: readLogIndex(b, 'snapshotIndex', p), offset: readCount(b, 'offset', p),
    done: readBool(b, 'done', p), accepted: readBool(b, 'accepted', p),
  }),
  timeoutNow: (_b, e) => ({ ...e, type: 'timeoutNow' }),
  readIndexRequest: (b, e, p) => ({ ...e, type: 'readIndexRequest', requestId: readString(b, 'requestId', p) }),
  readIndexReply: (b, e, p) => ({
    ...e, type: 'readIndexReply', requestId: readString(b, 'requestId', p), index: readLogIndex(b, 'index', p),
    rejected: readBool(b, 'rejected', p), overloaded: readBool(b, 'overloaded', p),
  }),
};

export function decodeBody(name: RaftMessageType, body: WireObject, envelope: Envelope): RaftMessage {
  if (envelope.from === envelope.to) throw new WireFormatError(`message.from and message.to are both node ${envelope.from}`);
  return decoders[name](body, envelope, `message.${name}`);
}
