// Goal: rewriteSnapshot() (used by `raftkv restore`) keeps a snapshot's data, index, term and
// range, swaps its membership, and puts one key in key order as a put at the next revision would.
// Method: write a small snapshot file with SnapshotFileWriter, rewrite it, read it back with
// SnapshotFileReader (which checks the new file's sha256 trailer and counts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { groupId, logIndex, nodeId, term } from '../../../src/shared/ids.js';
import type { KeyValue } from '../../../src/storage/kv-types.js';
import type { SnapshotRecord } from '../../../src/storage/snapshot-format.js';
import { rewriteSnapshot } from '../../../src/storage/snapshot-rewrite.js';
import { SnapshotFileReader, SnapshotFileWriter } from '../../../src/storage/snapshot-stream.js';

const dir = mkdtempSync(join(tmpdir(), 'raftkv-rewrite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const row = (key: string, version = 1): KeyValue => ({ key: bytes(key), value: bytes(`v-${key}`), createRevision: 3, modRevision: 4, version });
const oldConf = { voters: [nodeId(7), nodeId(8)], learners: [] };
const newConf = { voters: [nodeId(1), nodeId(2)], learners: [nodeId(3)], addresses: { 1: 'a:1', 2: 'b:2', 3: 'c:3' } };

async function writeSnapshot(file: string, batches: readonly (readonly KeyValue[])[]): Promise<void> {
  const writer = await SnapshotFileWriter.create(file);
  await writer.write({ type: 'header', header: { group: groupId(0), meta: { index: logIndex(40), term: term(6), conf: oldConf }, revision: 9, clockMs: 5, range: { start: 0, end: 77 } } });
  for (const rows of batches) await writer.write({ type: 'kvs', rows });
  await writer.write({ type: 'sessions', rows: [{ id: 's', seq: 2, result: bytes('r'), lastSeenMs: 4 }] });
  await writer.finish();
}

async function readAll(file: string): Promise<SnapshotRecord[]> {
  const reader = await SnapshotFileReader.open(file);
  const records: SnapshotRecord[] = [];
  try {
    for (let r = await reader.next(); ; r = await reader.next()) {
      records.push(r);
      if (r.type === 'trailer') return records;
    }
  } finally {
    await reader.close();
  }
}

const keysOf = (records: readonly SnapshotRecord[]): string[] =>
  records.flatMap((r) => (r.type === 'kvs' ? r.rows.map((kv) => new TextDecoder().decode(kv.key)) : []));

describe('rewriteSnapshot()', () => {
  it.each<[string, string, string[]]>([
    ['between two batches', 'm', ['a', 'c', 'm', 'x', 'z']],
    ['before every key', '0', ['0', 'a', 'c', 'x', 'z']],
    ['after every key', 'zz', ['a', 'c', 'x', 'z', 'zz']],
  ])('inserts a new key %s in key order at the next revision', async (_name, key, expected) => {
    const from = join(dir, `in-${key}.snap`);
    const to = join(dir, `out-${key}.snap`);
    await writeSnapshot(from, [[row('a'), row('c')], [row('x'), row('z')]]);
    const { meta } = await rewriteSnapshot(from, to, { conf: newConf, replace: { key: bytes(key), value: bytes('map') } });
    expect(meta).toEqual({ index: 40, term: 6, conf: newConf });
    const records = await readAll(to);
    expect(records[0]).toEqual({ type: 'header', header: { group: 0, meta, revision: 10, clockMs: 5, range: { start: 0, end: 77 } } });
    expect(keysOf(records)).toEqual(expected);
    const inserted = records.flatMap((r) => (r.type === 'kvs' ? r.rows : [])).find((kv) => new TextDecoder().decode(kv.key) === key);
    expect(inserted).toEqual({ key: bytes(key), value: bytes('map'), createRevision: 10, modRevision: 10, version: 1 });
    expect(records.some((r) => r.type === 'sessions')).toBe(true);
  });

  it('replaces an existing key as a put would, and only swaps the membership without one', async () => {
    const from = join(dir, 'in-existing.snap');
    await writeSnapshot(from, [[row('a', 4), row('c')]]);
    await rewriteSnapshot(from, join(dir, 'out-existing.snap'), { conf: newConf, replace: { key: bytes('a'), value: bytes('map') } });
    const replaced = await readAll(join(dir, 'out-existing.snap'));
    expect(replaced.flatMap((r) => (r.type === 'kvs' ? r.rows : []))).toEqual([{ ...row('a', 5), value: bytes('map'), modRevision: 10 }, row('c')]);
    await rewriteSnapshot(from, join(dir, 'out-plain.snap'), { conf: newConf });
    const plain = await readAll(join(dir, 'out-plain.snap'));
    expect(plain[0]?.type === 'header' ? plain[0].header.revision : -1).toBe(9);
    expect(plain.flatMap((r) => (r.type === 'kvs' ? r.rows : []))).toEqual([row('a', 4), row('c')]);
  });
});
