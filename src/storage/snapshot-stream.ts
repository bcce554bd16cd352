/**
 * Asynchronous, bounded-memory writing and reading of snapshot files (format in
 * snapshot-format.ts). All file I/O goes through fs/promises, so the event loop stays free while
 * bytes move; callers add their own yields between records for the CPU-bound parts.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import { assert } from '../shared/assert.js';
import { decodeRecordBody, frameRecord, snapshotMagic, type SnapshotRecord } from './snapshot-format.js';
import { storageLimits } from './storage-limits.js';

export class SnapshotFileWriter {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private kvCount = 0;
  private sessionCount = 0;

  private constructor(private readonly file: fs.FileHandle) {}

  /** Creates (or truncates) `path` and writes the magic. */
  static async create(path: string): Promise<SnapshotFileWriter> {
    const writer = new SnapshotFileWriter(await fs.open(path, 'w'));
    await writer.writeRaw(snapshotMagic, true);
    return writer;
  }

  async write(record: SnapshotRecord): Promise<void> {
    assert(record.type !== 'trailer', 'The trailer is written by finish()');
    if (record.type === 'kvs') this.kvCount += record.rows.length;
    if (record.type === 'sessions') this.sessionCount += record.rows.length;
    await this.writeRaw(frameRecord(record), true);
  }

  /** Writes the trailer, fsyncs and closes; returns the file size. */
  async finish(): Promise<number> {
    const digest = new Uint8Array(this.hash.digest());
    await this.writeRaw(frameRecord({ type: 'trailer', kvCount: this.kvCount, sessionCount: this.sessionCount, digest }), false);
    await this.file.sync();
    await this.file.close();
    return this.bytes;
  }

  async abort(): Promise<void> {
    await this.file.close();
  }

  private async writeRaw(data: Uint8Array, hashed: boolean): Promise<void> {
    if (hashed) this.hash.update(data);
    let written = 0;
    while (written < data.byteLength) {
      const { bytesWritten } = await this.file.write(data, written, data.byteLength - written, this.bytes + written);
      written += bytesWritten;
    }
    this.bytes += data.byteLength;
  }
}

/** Reads records in order; checks the magic, the counts and the digest when it reaches the trailer. */
/**
 * A snapshot file that fails its checks (magic, record framing, sha256, counts, header, rows). A
 * received file comes from a peer, so this is a refusal, not a broken invariant: the receiver drops
 * the staged file and the node keeps running (node-storage.ts, node-host.ts).
 */
export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
}

export class SnapshotFileReader {
  private readonly hash: Hash = createHash('sha256');
  private pending: Uint8Array = new Uint8Array(0);
  private position = 0;
  private kvCount = 0;
  private sessionCount = 0;
  private finished = false;

  private constructor(
    private readonly file: fs.FileHandle,
    readonly path: string,
    private readonly sizeBytes: number,
  ) {}

  static async open(path: string): Promise<SnapshotFileReader> {
    const file = await fs.open(path, 'r');
    const reader = new SnapshotFileReader(file, path, (await file.stat()).size);
    const magic = await reader.take(snapshotMagic.byteLength);
    if (Buffer.compare(magic, snapshotMagic) !== 0) throw new SnapshotFileError(`Snapshot file ${path} has no snapshot magic`);
    reader.hash.update(magic);
    return reader;
  }

  /** The next record; the trailer is last and is returned only once the digest matched. */
  async next(): Promise<SnapshotRecord> {
    assert(!this.finished, `Read past the trailer of ${this.path}`);
    const length = await this.take(4);
    const bodyBytes = new DataView(length.buffer, length.byteOffset, 4).getUint32(0);
    // Checked before allocating: a damaged length must not ask for gigabytes.
    const left = this.sizeBytes - this.position + this.pending.byteLength;
    if (bodyBytes > left) throw new SnapshotFileError(`Snapshot file ${this.path} has a record of ${bodyBytes} bytes with ${left} left in the file`);
    const body = await this.take(bodyBytes);
    const record = decodeBody(this.path, body);
    if (record.type !== 'trailer') {
      this.hash.update(length).update(body);
      if (record.type === 'kvs') this.kvCount += record.rows.length;
      if (record.type === 'sessions') this.sessionCount += record.rows.length;
      return record;
    }
    await this.checkTrailer(record);
    return record;
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  private async checkTrailer(trailer: Extract<SnapshotRecord, { type: 'trailer' }>): Promise<void> {
    const digest = new Uint8Array(this.hash.digest());
    const refuse = (why: string): never => {
      throw new SnapshotFileError(`Snapshot file ${this.path} ${why}`);
    };
    if (Buffer.compare(digest, trailer.digest) !== 0) refuse('fails its sha256 check');
    if (trailer.kvCount !== this.kvCount) refuse(`has ${this.kvCount} keys, trailer says ${trailer.kvCount}`);
    if (trailer.sessionCount !== this.sessionCount) refuse('session count differs from its trailer');
    const { bytesRead } = await this.file.read(new Uint8Array(1), 0, 1, this.position);
    if (this.pending.byteLength !== 0 || bytesRead !== 0) refuse('has bytes after its trailer');
    this.finished = true;
  }

  /** Exactly `count` bytes (a view; valid until the next call). */
  private async take(count: number): Promise<Uint8Array> {
    while (this.pending.byteLength < count) {
      const chunk = new Uint8Array(Math.max(storageLimits.snapshotReadBufferBytes, count - this.pending.byteLength));
      const { bytesRead } = await this.file.read(chunk, 0, chunk.byteLength, this.position);
      if (bytesRead === 0) throw new SnapshotFileError(`Snapshot file ${this.path} ends inside a record at byte ${this.position}`);
      this.position += bytesRead;
      const joined = new Uint8Array(this.pending.byteLength + bytesRead);
      joined.set(this.pending);
      joined.set(chunk.subarray(0, bytesRead), this.pending.byteLength);
      this.pending = joined;
    }
    const out = this.pending.subarray(0, count);
    this.pending = this.pending.subarray(count);
    return out;
  }
}

function decodeBody(path: string, body: Uint8Array): SnapshotRecord {
  try {
    return decodeRecordBody(body);
  } catch (error) {
    throw new SnapshotFileError(`Snapshot file ${path} has a record that does not decode: ${error instanceof Error ? error.message : String(error)}`);
  }
}
