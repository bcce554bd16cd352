// Goal: the backup archive round-trips its groups and manifest, and refuses every damaged copy
// with a message that says what is wrong, before anything trusts its bytes. Method: write a small
// archive of made-up group sections to a temp dir, then damage copies of it: cut at each of a set
// of lengths, one bit flipped at each of a set of offsets (head, sections, manifest, footer).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupError, BackupWriter, extractGroup, verifyBackup } from '../../../src/shared/backup-archive.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sections = [new Uint8Array(3000).fill(1), new Uint8Array(0), new Uint8Array(70_000).map((_, i) => i % 251)];

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.byteLength; at += size) yield data.subarray(at, at + size);
}

async function writeArchive(file: string): Promise<void> {
  const writer = await BackupWriter.create(file);
  for (const [group, data] of sections.entries()) {
    await writer.addGroup(chunks(data, 4096), () => ({ group, index: 10 + group, term: 2, replicas: group === 0 ? [] : [1, 2] }));
  }
  await writer.finish({ sharded: true, epoch: 3, ring: [{ start: 0, end: 2 ** 48, group: 1 }] });
}

const good = join(dir, 'good.snap');

describe('backup archive', () => {
  it('verifyBackup() returns the manifest of an intact archive, and extractGroup() each section', async () => {
    await writeArchive(good);
    const manifest = await verifyBackup(good);
    expect(manifest).toMatchObject({ formatVersion: 1, sharded: true, epoch: 3, ring: [{ start: 0, end: 2 ** 48, group: 1 }] });
    expect(manifest.groups.map((g) => [g.group, g.index, g.term, g.bytes])).toEqual([[0, 10, 2, 3000], [1, 11, 2, 0], [2, 12, 2, 70_000]]);
    for (const [i, group] of manifest.groups.entries()) {
      const out = join(dir, `g${i}.out`);
      await extractGroup(good, group, out);
      expect(new Uint8Array(readFileSync(out))).toEqual(sections[i]);
    }
  });

  it.each([0, 7, 8, 55, 3000, 50_000, -48, -1])('refuses the archive cut to %i bytes (negative: from the end)', async (cut) => {
    const bytes = readFileSync(good);
    const file = join(dir, `cut${cut}.snap`);
    writeFileSync(file, bytes.subarray(0, cut < 0 ? bytes.byteLength + cut : cut));
    await expect(verifyBackup(file)).rejects.toThrow(/truncated|not a raftkv backup/);
  });

  it.each([0, 9, 2000, 40_000, -100, -60, -44, -20, -3])('refuses the archive with one bit flipped at offset %i (negative: from the end)', async (at) => {
    const bytes = Buffer.from(readFileSync(good));
    const offset = at < 0 ? bytes.byteLength + at : at;
    bytes[offset] = (bytes[offset] ?? 0) ^ 0x04;
    const file = join(dir, `flip${at}.snap`);
    writeFileSync(file, bytes);
    const refused = await verifyBackup(file).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(BackupError);
    expect(String(refused)).toMatch(/checksum|truncated|not a raftkv backup|format version/);
  });

  it('refuses a missing file with BackupError', async () => {
    await expect(verifyBackup(join(dir, 'absent.snap'))).rejects.toThrow(/Cannot open backup/);
  });
});
