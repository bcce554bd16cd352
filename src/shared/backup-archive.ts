/**
 * The backup archive (format version 1): every group's snapshot file, saved at a recorded applied
 * index, plus a manifest, in one file that is checked end to end before anything trusts it.
 *
 *   archive  = magic "RKVBAK01", section*, manifest, footer
 *   section  = one group's snapshot file (src/storage/snapshot-format.ts), byte for byte
 *   manifest = UTF-8 JSON (BackupManifest): groups with offset, size, index, term and sha256; the
 *              ring and epoch of the shard map the save started from
 *   footer   = u32 manifestBytes, u32 formatVersion, 32-byte sha256 of every byte before the
 *              footer and of those two numbers, magic "RKVBEND1"           (48 bytes, big-endian)
 *
 * The manifest goes last so a save can stream each group straight into the file without knowing
 * sizes or checksums ahead (the zip central-directory idea). sha256 (node:crypto) because the
 * snapshot files already carry sha256 trailers, it needs no async setup (xxhash-wasm does), and a
 * backup is also an integrity record, for which a cryptographic hash is the usual choice.
 * Shared by kvctl (save, status) and `raftkv restore`; nothing here trusts the file's bytes.
 */
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';

export const backupFormatVersion = 1;
const headMagic = new TextEncoder().encode('RKVBAK01');
const endMagic = new TextEncoder().encode('RKVBEND1');
const footerBytes = 48;
/** A manifest of 4096 groups with their ring ranges stays far below this. */
export const backupManifestBytesMax = 4 * 1024 * 1024;
const readBufferBytes = 1024 * 1024;

export interface BackupRange {
  readonly start: number;
  readonly end: number;
  readonly group: number;
}

export interface BackupGroup {
  readonly group: number;
  /** The snapshot's last applied entry: the group's state in the archive is as of this index. */
  readonly index: number;
  readonly term: number;
  /** Where the group's snapshot file lies in the archive. */
  readonly offset: number;
  readonly bytes: number;
  readonly sha256: string;
  /** The shard map's replica set when saved (empty for the meta group and an unsharded group). */
  readonly replicas: readonly number[];
}

export interface BackupManifest {
  readonly formatVersion: number;
  readonly savedAtMs: number;
  /** False for a `--groups 0` cluster: one group 0 holds every key. */
  readonly sharded: boolean;
  /** The shard map epoch the save started from (0 when unsharded). */
  readonly epoch: number;
  readonly ring: readonly BackupRange[];
  readonly groups: readonly BackupGroup[];
}

/** The archive is unusable; the message says why (truncated, checksum, version). */
export class BackupError extends Error {
  override readonly name = 'BackupError';
}

/** Writes an archive: groups are streamed in one after another, then finish() writes the manifest. */
export class BackupWriter {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private readonly groups: BackupGroup[] = [];

  private constructor(private readonly file: fs.FileHandle) {}

  static async create(path: string): Promise<BackupWriter> {
    // Owner-only: a backup holds every key and value of the cluster.
    const writer = new BackupWriter(await fs.open(path, 'w', 0o600));
    await writer.write(headMagic);
    return writer;
  }

  /**
   * Appends one group's snapshot file, streamed from `chunks`; `describe` is called once the
   * stream ended (index and term come with it) and gives the rest of the manifest entry.
   */
  async addGroup(chunks: AsyncIterable<Uint8Array>, describe: () => Omit<BackupGroup, 'offset' | 'bytes' | 'sha256'>): Promise<BackupGroup> {
    const offset = this.bytes;
    const sectionHash = createHash('sha256');
    for await (const chunk of chunks) {
      sectionHash.update(chunk);
      await this.write(chunk);
    }
    const entry = { ...describe(), offset, bytes: this.bytes - offset, sha256: sectionHash.digest('hex') };
    this.groups.push(entry);
    return entry;
  }

  /** Writes manifest and footer, fsyncs and closes; returns the manifest. */
  async finish(about: Pick<BackupManifest, 'sharded' | 'epoch' | 'ring'>): Promise<BackupManifest> {
    const manifest: BackupManifest = { formatVersion: backupFormatVersion, savedAtMs: Date.now(), ...about, groups: this.groups };
    const json = new TextEncoder().encode(JSON.stringify(manifest));
    await this.write(json);
    const footer = new Uint8Array(footerBytes);
    const view = new DataView(footer.buffer);
    view.setUint32(0, json.byteLength);
    view.setUint32(4, backupFormatVersion);
    footer.set(this.hash.update(footer.subarray(0, 8)).digest(), 8);
    footer.set(endMagic, 40);
    await this.file.write(footer, 0, footerBytes, this.bytes);
    await this.file.sync();
    await this.file.close();
    return manifest;
  }

  async abort(): Promise<void> {
    await this.file.close();
  }

  private async write(data: Uint8Array): Promise<void> {
    this.hash.update(data);
    let written = 0;
    while (written < data.byteLength) {
      const { bytesWritten } = await this.file.write(data, written, data.byteLength - written, this.bytes + written);
      written += bytesWritten;
    }
    this.bytes += data.byteLength;
  }
}

/**
 * Checks the whole archive (magic, footer, sha256 of every byte, manifest shape, each group's
 * sha256) and returns its manifest, or throws BackupError naming the problem. Reads the file
 * twice in bounded chunks; never holds it whole.
 */
export async function verifyBackup(path: string): Promise<BackupManifest> {
  const file = await openArchive(path);
  try {
    const size = (await file.stat()).size;
    if (size < headMagic.byteLength + footerBytes) throw new BackupError(`Backup ${path} is truncated or not a raftkv backup: only ${size} bytes`);
    if (!equalBytes(await readAt(file, 0, headMagic.byteLength), headMagic)) throw new BackupError(`File ${path} is not a raftkv backup (no RKVBAK01 magic)`);
    const footer = await readAt(file, size - footerBytes, footerBytes);
    if (!equalBytes(footer.subarray(40), endMagic)) throw new BackupError(`Backup ${path} is truncated: it does not end with the RKVBEND1 footer`);
    const view = new DataView(footer.buffer, footer.byteOffset, footerBytes);
    const version = view.getUint32(4);
    if (version !== backupFormatVersion) throw new BackupError(`Backup ${path} has format version ${version}; this raftkv reads version ${backupFormatVersion}`);
    const manifestBytes = view.getUint32(0);
    const manifestStart = size - footerBytes - manifestBytes;
    if (manifestBytes > backupManifestBytesMax || manifestStart < headMagic.byteLength) throw new BackupError(`Backup ${path} is truncated: its footer names a ${manifestBytes}-byte manifest`);
    const digest = (await hashRange(file, 0, size - footerBytes)).update(footer.subarray(0, 8)).digest();
    if (!equalBytes(digest, footer.subarray(8, 40))) throw new BackupError(`Backup ${path} fails its sha256 checksum: the file is corrupted`);
    const manifest = parseManifest(path, await readAt(file, manifestStart, manifestBytes), manifestStart);
    for (const group of manifest.groups) {
      const sectionDigest = (await hashRange(file, group.offset, group.bytes)).digest('hex');
      if (sectionDigest !== group.sha256) throw new BackupError(`Backup ${path} group ${group.group} fails its sha256 checksum: the file is corrupted`);
    }
    return manifest;
  } finally {
    await file.close();
  }
}

/** Copies one group's section into `dest`, checking its sha256 on the way (call verifyBackup first). */
export async function extractGroup(path: string, group: BackupGroup, dest: string): Promise<void> {
  const file = await openArchive(path);
  const out = await fs.open(dest, 'w', 0o600);
  try {
    const hash = createHash('sha256');
    await forEachChunk(file, group.offset, group.bytes, async (chunk) => {
      hash.update(chunk);
      await out.write(chunk);
    });
    if (hash.digest('hex') !== group.sha256) throw new BackupError(`Backup ${path} group ${group.group} fails its sha256 checksum: the file is corrupted`);
    await out.sync();
  } finally {
    await out.close();
    await file.close();
  }
}

async function openArchive(path: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(path, 'r');
  } catch (error) {
    throw new BackupError(`Cannot open backup ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function parseManifest(path: string, bytes: Uint8Array, manifestStart: number): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new BackupError(`Backup ${path} has a manifest that is not JSON`);
  }
  const bad = (what: string): BackupError => new BackupError(`Backup ${path} has an invalid manifest: ${what}`);
  if (!isRecord(value) || !Array.isArray(value['groups']) || !Array.isArray(value['ring'])) throw bad('no groups or ring');
  const manifest = value as unknown as BackupManifest;
  if (typeof manifest.sharded !== 'boolean' || !isUint(manifest.epoch) || !isUint(manifest.savedAtMs)) throw bad('sharded, epoch or savedAtMs');
  let next = headMagic.byteLength;
  for (const group of manifest.groups as readonly unknown[]) {
    if (!isRecord(group) || !['group', 'index', 'term', 'offset', 'bytes'].every((k) => isUint(group[k]))) throw bad('a group entry lacks numbers');
    if (typeof group['sha256'] !== 'string' || !Array.isArray(group['replicas']) || !group['replicas'].every(isUint)) throw bad('a group entry lacks sha256 or replicas');
    if (group['offset'] !== next) throw bad(`group ${String(group['group'])} does not start where the previous one ends`);
    next = Number(group['offset']) + Number(group['bytes']);
  }
  if (next !== manifestStart) throw bad('the groups do not end where the manifest starts');
  if (!manifest.ring.every((r) => isRecord(r) && isUint(r.start) && isUint(r.end) && isUint(r.group))) throw bad('a ring range lacks numbers');
  return manifest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isUint(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

async function readAt(file: fs.FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await file.read(out, read, length - read, position + read);
    if (bytesRead === 0) throw new BackupError(`Backup file ended at byte ${position + read} while reading ${length} bytes at ${position}`);
    read += bytesRead;
  }
  return out;
}

async function forEachChunk(file: fs.FileHandle, position: number, length: number, each: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  for (let done = 0; done < length;) {
    const chunk = await readAt(file, position + done, Math.min(readBufferBytes, length - done));
    await each(chunk);
    done += chunk.byteLength;
  }
}

async function hashRange(file: fs.FileHandle, position: number, length: number): Promise<Hash> {
  const hash = createHash('sha256');
  await forEachChunk(file, position, length, async (chunk) => void hash.update(chunk));
  return hash;
}
