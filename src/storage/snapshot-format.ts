/**
 * Snapshot file format (version 1). A group's state at one applied index:
 *
 *   file    = magic "RKVSNAP1", record*, trailer record
 *   record  = u32 bodyLength (big-endian), body
 *   body    = u8 1 header   : uint group, uint index, uint term, ids voters, ids learners,
 *                             uint revision, uint clockMs            (always the first record)
 *           | u8 2 kvs      : uint n, n * (bytes key, bytes value, uint create, uint mod, uint version)
 *           | u8 3 sessions : uint n, n * (string id, uint seq, bytes result, uint lastSeenMs)
 *           | u8 4 trailer  : uint kvCount, uint sessionCount, bytes sha256    (always the last record)
 *   ids     = uint n, n * uint
 *
 * The sha256 covers every byte before the trailer, so a torn or corrupted transfer is caught before
 * anything is installed. Records are bounded (storageLimits.snapshotBatch*), so reader and writer
 * hold one record at a time, never the whole snapshot.
 */
import type { RingBounds } from './apply-state.js';
import { nodeId, groupId as toGroupId, logIndex, term as toTerm, type GroupId, type NodeId } from '../shared/ids.js';
import type { SnapshotMeta } from '../raft/types.js';
import { BytesWriter, CodecError, decodeTrusted, type BytesReader } from './byte-codec.js';
import { readKeyValue, writeKeyValue } from './kv-result-codec.js';
import type { KeyValue } from './kv-types.js';

export const snapshotMagic = new TextEncoder().encode('RKVSNAP1');

export interface SnapshotHeader {
  readonly group: GroupId;
  readonly meta: SnapshotMeta;
  readonly revision: number;
  readonly clockMs: number;
  /** The group's ring range (apply-state.ts), or null. */
  readonly range: RingBounds | null;
}

export interface SessionRow {
  readonly id: string;
  readonly seq: number;
  readonly result: Uint8Array;
  readonly lastSeenMs: number;
}

export type SnapshotRecord =
  | { readonly type: 'header'; readonly header: SnapshotHeader }
  | { readonly type: 'kvs'; readonly rows: readonly KeyValue[] }
  | { readonly type: 'sessions'; readonly rows: readonly SessionRow[] }
  | { readonly type: 'trailer'; readonly kvCount: number; readonly sessionCount: number; readonly digest: Uint8Array };

/** The record with its 4-byte length prefix. */
export function frameRecord(record: SnapshotRecord): Uint8Array {
  const body = new BytesWriter(1024);
  writeBody(body, record);
  return new BytesWriter(body.byteLength + 4).u32(body.byteLength).raw(body.finish()).finish();
}

function writeIds(w: BytesWriter, ids: readonly NodeId[]): void {
  w.uint(ids.length);
  for (const id of ids) w.uint(id);
}

function writeBody(w: BytesWriter, record: SnapshotRecord): void {
  switch (record.type) {
    case 'header': {
      const { group, meta, revision, clockMs, range } = record.header;
      w.u8(1).uint(group).uint(meta.index).uint(meta.term);
      writeIds(w, meta.conf.voters);
      writeIds(w, meta.conf.learners);
      w.uint(revision).uint(clockMs);
      // Member addresses travel with the membership (src/raft/types.ts, ConfState.addresses).
      const addresses = Object.entries(meta.conf.addresses ?? {});
      w.uint(addresses.length);
      for (const [id, address] of addresses) w.uint(Number(id)).string(address);
      w.bool(range !== null);
      if (range !== null) w.uint(range.start).uint(range.end);
      return;
    }
    case 'kvs':
      w.u8(2).uint(record.rows.length);
      for (const kv of record.rows) writeKeyValue(w, kv);
      return;
    case 'sessions':
      w.u8(3).uint(record.rows.length);
      for (const s of record.rows) w.string(s.id).uint(s.seq).bytes(s.result).uint(s.lastSeenMs);
      return;
    case 'trailer':
      w.u8(4).uint(record.kvCount).uint(record.sessionCount).bytes(record.digest);
  }
}

/** Decodes one record body (without its length prefix); bytes are checked by the trailer digest. */
export function decodeRecordBody(body: Uint8Array): SnapshotRecord {
  return decodeTrusted('snapshot record', body, readBody);
}

function readIds(r: BytesReader): NodeId[] {
  return Array.from({ length: r.uint() }, () => nodeId(r.uint()));
}

function readBody(r: BytesReader): SnapshotRecord {
  const type = r.u8();
  switch (type) {
    case 1: {
      const group = toGroupId(r.uint());
      const index = logIndex(r.uint());
      const term = toTerm(r.uint());
      const ids = { voters: readIds(r), learners: readIds(r) };
      const revision = r.uint();
      const clockMs = r.uint();
      const addresses: Record<string, string> = {};
      for (let i = r.uint(); i > 0; i--) addresses[String(nodeId(r.uint()))] = r.string();
      const conf = Object.keys(addresses).length === 0 ? ids : { ...ids, addresses };
      const range = r.bool() ? { start: r.uint(), end: r.uint() } : null;
      return { type: 'header', header: { group, meta: { index, term, conf }, revision, clockMs, range } };
    }
    case 2:
      return { type: 'kvs', rows: Array.from({ length: r.uint() }, () => readKeyValue(r)) };
    case 3: {
      const read = (): SessionRow => ({ id: r.string(), seq: r.uint(), result: r.bytes(), lastSeenMs: r.uint() });
      return { type: 'sessions', rows: Array.from({ length: r.uint() }, read) };
    }
    case 4:
      return { type: 'trailer', kvCount: r.uint(), sessionCount: r.uint(), digest: r.bytes() };
    default:
      throw new CodecError(`unknown snapshot record type ${type}`);
  }
}
