/**
 * Snapshot files in `${db}.snapshots/`: naming, synchronous chunk reads (the LogReader contract is
 * synchronous), staged writes that are fsynced before the transaction recording them commits, and
 * directory fsyncs so a created or renamed file survives a crash.
 */
import fs from 'node:fs';
import path from 'node:path';
import { assert } from '../shared/assert.js';
import type { GroupId } from '../shared/ids.js';
import type { SnapshotMeta } from '../raft/types.js';

export type SnapshotOrigin = 'produced' | 'received';

/** `g3-i120-t4.snap` (made here) or `g3-i120-t4.recv` (received from a leader). */
export function snapshotFileName(group: GroupId, meta: SnapshotMeta, origin: SnapshotOrigin): string {
  return `${groupFilePrefix(group)}i${meta.index}-t${meta.term}.${origin === 'produced' ? 'snap' : 'recv'}`;
}

/** Every file of a group starts with this, including temporary ones. */
export function groupFilePrefix(group: GroupId): string {
  return `g${group}-`;
}

/** Bytes [offset, offset + bytesMax) of a file, and whether they reach its end. */
export function readFileChunk(file: string, offset: number, bytesMax: number): { data: Uint8Array; done: boolean } {
  assert(Number.isSafeInteger(offset) && offset >= 0, `Snapshot chunk offset ${offset} is invalid`);
  assert(Number.isSafeInteger(bytesMax) && bytesMax > 0, `Snapshot chunk bytesMax ${bytesMax} is invalid`);
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    assert(offset <= size, `Snapshot chunk offset ${offset} is past the file end ${size}`);
    const data = new Uint8Array(Math.min(bytesMax, size - offset));
    let read = 0;
    while (read < data.byteLength) {
      const n = fs.readSync(fd, data, read, data.byteLength - read, offset + read);
      assert(n > 0, `Snapshot file shrank while reading at ${offset + read}`);
      read += n;
    }
    return { data, done: offset + read >= size };
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` at `offset`, cuts the file there, and fsyncs; creates the file when offset is 0. */
export function writeFileChunkDurably(file: string, offset: number, data: Uint8Array): void {
  const isNew = offset === 0 && !fs.existsSync(file);
  const fd = fs.openSync(file, offset === 0 ? 'w' : 'r+', 0o600); // owner-only: a snapshot holds every value
  try {
    let written = 0;
    while (written < data.byteLength) {
      written += fs.writeSync(fd, data, written, data.byteLength - written, offset + written);
    }
    fs.ftruncateSync(fd, offset + data.byteLength);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (isNew) fsyncDirectory(path.dirname(file));
}

/** Cuts a staged file back to the bytes a committed transaction recorded. */
export function truncateFile(file: string, bytes: number): void {
  if (!fs.existsSync(file)) {
    assert(bytes === 0, `Staged snapshot file ${file} is missing but ${bytes} bytes were recorded`);
    return;
  }
  const fd = fs.openSync(file, 'r+');
  try {
    if (fs.fstatSync(fd).size !== bytes) {
      fs.ftruncateSync(fd, bytes);
      fs.fsyncSync(fd);
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function removeFileIfPresent(file: string): void {
  fs.rmSync(file, { force: true });
}

/**
 * Removes the group's files that no committed row names (leftovers of crashes and replacements).
 * `.tmp` files belong to a producer that may still be running; only remove them when none can be.
 */
export function removeUnreferencedFiles(dir: string, group: GroupId, keep: ReadonlySet<string>, includeTemporary: boolean): void {
  const prefix = groupFilePrefix(group);
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix) || keep.has(name)) continue;
    if (includeTemporary || !name.endsWith('.tmp')) removeFileIfPresent(path.join(dir, name));
  }
}
