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
  ) {}

  static async open(path: string): Promise<SnapshotFileReader> {
    const reader = new SnapshotFileReader(await fs.open(path, 'r'), path);
    const magic = await reader.take(snapshotMagic.byteLength);
    assert(Buffer.compare(magic, snapshotMagic) === 0, `Snapshot file ${path} has no snapshot magic`);
    reader.hash.update(magic);
    return reader;
  }

  /** The next record; the trailer is last and is returned only once the digest matched. */
  async next(): Promise<SnapshotRecord> {
    assert(!this.finished, `Read past the trailer of ${this.path}`);
    const length = await this.take(4);
    const bodyBytes = new DataView(length.buffer, length.byteOffset, 4).getUint32(0);
    const body = await this.take(bodyBytes);
    const record = decodeRecordBody(body);
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
    assert(Buffer.compare(digest, trailer.digest) === 0, `Snapshot file ${this.path} fails its sha256 check`);
    assert(trailer.kvCount === this.kvCount, `Snapshot file ${this.path} has ${this.kvCount} keys, trailer says ${trailer.kvCount}`);
    assert(trailer.sessionCount === this.sessionCount, `Snapshot file ${this.path} session count differs from its trailer`);
    const { bytesRead } = await this.file.read(new Uint8Array(1), 0, 1, this.position);
    assert(this.pending.byteLength === 0 && bytesRead === 0, `Snapshot file ${this.path} has bytes after its trailer`);
    this.finished = true;
  }

  /** Exactly `count` bytes (a view; valid until the next call). */
  private async take(count: number): Promise<Uint8Array> {
    while (this.pending.byteLength < count) {
      const chunk = new Uint8Array(Math.max(storageLimits.snapshotReadBufferBytes, count - this.pending.byteLength));
      const { bytesRead } = await this.file.read(chunk, 0, chunk.byteLength, this.position);
      assert(bytesRead > 0, `Snapshot file ${this.path} ends inside a record at byte ${this.position}`);
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
