/**
 * The checksum every snapshot chunk carries between peers (InstallSnapshot.data_sha256): the
 * sender's codec computes it, the receiver's codec checks it before the chunk reaches the Raft
 * core, so a chunk damaged on the way is refused like any malformed message (dropped, counted,
 * logged by the transport); the core never acknowledges it, and the leader sends it again once
 * the transfer stalls (src/raft/replication.ts, resendSnapshotIfStalled). sha256 from node:crypto:
 * synchronous (the codec is), no setup, and the same hash the snapshot file's trailer uses.
 */
import { createHash } from 'node:crypto';
import { WireFormatError, readBytes, type WireObject } from './wire-reader.js';

export const chunkChecksumBytes = 32;

export function chunkSha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** The chunk's `data`, once its `dataSha256` matched; throws WireFormatError otherwise. */
export function readCheckedChunkData(body: WireObject, path: string): Uint8Array {
  const data = readBytes(body, 'data', path);
  const expected = readBytes(body, 'dataSha256', path);
  if (expected.byteLength !== chunkChecksumBytes) throw new WireFormatError(`${path}.dataSha256 has ${expected.byteLength} bytes, not ${chunkChecksumBytes}`);
  if (Buffer.compare(chunkSha256(data), expected) !== 0) throw new WireFormatError(`${path}.data fails its sha256 check (${data.byteLength} bytes at offset ${String(body['offset'])}): refused`);
  return data;
}
