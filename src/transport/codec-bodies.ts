/**
 * Decoders for each `GroupMessage.body` member (the half of codec.ts that rebuilds RaftMessages).
 * They throw `WireFormatError` on bad input; codec.ts catches it at the boundary. Every number is
 * checked against its bound in src/shared/limits.ts, every list and byte field against its length
 * bound, and fields that must agree with each other are checked together (entry terms against the
 * message term, a candidate's last log term against its term, membership entries decode).
 */
import type { LogIndex, NodeId, Term } from '../shared/ids.js';
import {
  ADDRESS_CHARS_MAX, ENTRIES_PER_MESSAGE_MAX, ENTRY_BYTES_MAX, MEMBERS_MAX, REQUEST_ID_CHARS_MAX, SNAPSHOT_CHUNK_BYTES_MAX,
} from '../shared/limits.js';
import { confChangeProblem } from '../raft/conf-change.js';
import type { RaftMessage, RaftMessageType } from '../raft/messages.js';
import type { EntryType, LogEntry, SnapshotMeta } from '../raft/types.js';
import { readCheckedChunkData } from './chunk-checksum.js';
import {
  WireFormatError,
  checkLength,
  nodeIdFromWire,
  readArray,
  readBool,
  readBytes,
  readCount,
  readLogIndex,
  readObject,
  readString,
  readTerm,
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
  const type = decodeEntryType(object['type'], `${path}.type`);
  const data = readBoundedBytes(object, 'data', path, ENTRY_BYTES_MAX);
  // Applying a membership entry decodes it with asserts (conf-change.ts): check it here instead.
  const problem = type === 'confChange' ? confChangeProblem(data) : null;
  if (problem !== null) throw new WireFormatError(`${path}.data ${problem}`, 'inconsistent');
  return { index: readLogIndex(object, 'index', path), term: readTerm(object, 'term', path), type, data };
}

function readBoundedBytes(object: WireObject, key: string, path: string, max: number): Uint8Array {
  checkBytesBound(object, key, path, max);
  return readBytes(object, key, path);
}

/** Checked before the bytes are copied or hashed. */
function checkBytesBound(object: WireObject, key: string, path: string, max: number): void {
  const value = object[key];
  if (value instanceof Uint8Array && value.byteLength > max) {
    throw new WireFormatError(`${path}.${key} is ${value.byteLength} bytes, above the limit of ${max}`, 'outOfBounds');
  }
}

function readChunkData(object: WireObject, path: string): Uint8Array {
  checkBytesBound(object, 'data', path, SNAPSHOT_CHUNK_BYTES_MAX);
  return readCheckedChunkData(object, path);
}

function readBoundedString(object: WireObject, key: string, path: string, max: number): string {
  const value = readString(object, key, path);
  if (value.length > max) throw new WireFormatError(`${path}.${key} is ${value.length} characters, above the limit of ${max}`, 'outOfBounds');
  return value;
}

/** A term the message's own term must not be below (a node never holds a term beyond its own). */
function readTermAtMost(object: WireObject, key: string, path: string, messageTerm: Term): Term {
  const value = readTerm(object, key, path);
  if (value > messageTerm) throw new WireFormatError(`${path}.${key} is ${value}, above the message term ${messageTerm}`, 'inconsistent');
  return value;
}

/**
 * Entries must continue the log right after prevLogIndex, one index each, with terms that never go
 * down and never exceed the sender's term (a leader only holds entries of its term or older). The
 * core's log asserts contiguity when appending, so a broken peer must be stopped here.
 */
function decodeEntries(body: WireObject, prevLogIndex: LogIndex, prevLogTerm: Term, messageTerm: Term, path: string): LogEntry[] {
  const list = readArray(body, 'entries', path);
  checkLength(list.length, `${path}.entries`, ENTRIES_PER_MESSAGE_MAX);
  const entries = list.map((wire, i) => decodeEntry(wire, `${path}.entries[${i}]`));
  let lastTerm: number = prevLogTerm;
  for (const [i, entry] of entries.entries()) {
    if (entry.index !== prevLogIndex + 1 + i) {
      throw new WireFormatError(`${path}.entries[${i}].index is ${entry.index}, expected ${prevLogIndex + 1 + i}`, 'inconsistent');
    }
    if (entry.term < lastTerm || entry.term > messageTerm) {
      throw new WireFormatError(`${path}.entries[${i}].term is ${entry.term}, outside ${lastTerm}..${messageTerm}`, 'inconsistent');
    }
    lastTerm = entry.term;
  }
  return entries;
}

function decodeNodeIds(body: WireObject, key: string, path: string): NodeId[] {
  const list = readArray(body, key, path);
  checkLength(list.length, `${path}.${key}`, MEMBERS_MAX);
  return list.map((value, i) => nodeIdFromWire(value, `${path}.${key}[${i}]`));
}

function decodeMeta(wire: unknown, path: string, messageTerm: Term): SnapshotMeta {
  const object = readObject(wire, path);
  const voters = decodeNodeIds(object, 'voters', path);
  const learners = decodeNodeIds(object, 'learners', path);
  // Membership lists are sets and a node is either a voter or a learner; the core relies on both.
  if (new Set([...voters, ...learners]).size !== voters.length + learners.length) {
    throw new WireFormatError(`${path} lists a node twice among voters and learners`, 'inconsistent');
  }
  const addresses = decodeAddresses(object, path);
  const conf = Object.keys(addresses).length === 0 ? { voters, learners } : { voters, learners, addresses };
  return { index: readLogIndex(object, 'index', path), term: readTermAtMost(object, 'term', path, messageTerm), conf };
}

/** Absent on old peers; each entry a node id and a non-empty address string. */
function decodeAddresses(object: WireObject, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (object['addresses'] === undefined) return out;
  const list = readArray(object, 'addresses', path);
  checkLength(list.length, `${path}.addresses`, MEMBERS_MAX);
  for (const [i, item] of list.entries()) {
    const entry = readObject(item, `${path}.addresses[${i}]`);
    const node = nodeIdFromWire(entry['node'], `${path}.addresses[${i}].node`);
    const address = entry['address'];
    if (typeof address !== 'string' || address.length === 0 || address.length > ADDRESS_CHARS_MAX) {
      throw new WireFormatError(`${path}.addresses[${i}].address must be a non-empty string of at most ${ADDRESS_CHARS_MAX} characters`);
    }
    out[String(node)] = address;
  }
  return out;
}

const decoders: { readonly [K in RaftMessageType]: BodyDecoder } = {
  requestVote: (b, e, p) => ({
    ...e, type: 'requestVote', lastLogIndex: readLogIndex(b, 'lastLogIndex', p), lastLogTerm: readTermAtMost(b, 'lastLogTerm', p, e.term),
    preVote: readBool(b, 'preVote', p), transfer: readBool(b, 'transfer', p),
  }),
  requestVoteReply: (b, e, p) => ({ ...e, type: 'requestVoteReply', preVote: readBool(b, 'preVote', p), granted: readBool(b, 'granted', p) }),
  appendEntries: (b, e, p) => {
    const prevLogIndex = readLogIndex(b, 'prevLogIndex', p);
    const prevLogTerm = readTermAtMost(b, 'prevLogTerm', p, e.term);
    const entries = decodeEntries(b, prevLogIndex, prevLogTerm, e.term, p);
    return { ...e, type: 'appendEntries', prevLogIndex, prevLogTerm, entries, commit: readLogIndex(b, 'commit', p) };
  },
  appendEntriesReply: (b, e, p) => ({
    ...e, type: 'appendEntriesReply', success: readBool(b, 'success', p), index: readLogIndex(b, 'index', p),
    hintIndex: readLogIndex(b, 'hintIndex', p), hintTerm: readTermAtMost(b, 'hintTerm', p, e.term),
  }),
  heartbeat: (b, e, p) => ({ ...e, type: 'heartbeat', commit: readLogIndex(b, 'commit', p), readSeq: readCount(b, 'readSeq', p), quiesce: b['quiesce'] === undefined ? false : readBool(b, 'quiesce', p) }),
  heartbeatReply: (b, e, p) => ({ ...e, type: 'heartbeatReply', readSeq: readCount(b, 'readSeq', p) }),
  installSnapshot: (b, e, p) => ({
    ...e, type: 'installSnapshot', meta: decodeMeta(b['meta'], `${p}.meta`, e.term), offset: readCount(b, 'offset', p),
    data: readChunkData(b, p), done: readBool(b, 'done', p),
  }),
  installSnapshotReply: (b, e, p) => ({
    ...e, type: 'installSnapshotReply', snapshotIndex: readLogIndex(b, 'snapshotIndex', p), offset: readCount(b, 'offset', p),
    done: readBool(b, 'done', p), accepted: readBool(b, 'accepted', p),
  }),
  timeoutNow: (_b, e) => ({ ...e, type: 'timeoutNow' }),
  readIndexRequest: (b, e, p) => ({ ...e, type: 'readIndexRequest', requestId: readBoundedString(b, 'requestId', p, REQUEST_ID_CHARS_MAX) }),
  readIndexReply: (b, e, p) => ({
    ...e, type: 'readIndexReply', requestId: readBoundedString(b, 'requestId', p, REQUEST_ID_CHARS_MAX), index: readLogIndex(b, 'index', p),
    rejected: readBool(b, 'rejected', p), overloaded: readBool(b, 'overloaded', p),
  }),
};

export function decodeBody(name: RaftMessageType, body: WireObject, envelope: Envelope): RaftMessage {
  if (envelope.from === envelope.to) throw new WireFormatError(`message.from and message.to are both node ${envelope.from}`, 'misaddressed');
  return decoders[name](body, envelope, `message.${name}`);
}
