/**
 * Goal: a group born from a split gets a real first snapshot before it runs
 * (NodeStorage.ensureSnapshotFile), so a replica caught up by snapshot receives the moved keys and
 * the child's ring range rather than an empty bootstrap.
 * Method: split group 1 (range ['b', 'y'), ring position "first byte * 2^40") on a real SQLite
 * node, open the child as the server does (joiner state, then ensureSnapshotFile), read the file
 * back with SnapshotFileReader, then stream it in small chunks to a second node that knows nothing
 * of the child and install it there.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { founderState, joinerState } from '../../../src/raft/bootstrap.js';
import { nodeId } from '../../../src/shared/ids.js';
import type { SnapshotMeta } from '../../../src/raft/types.js';
import type { RingBounds } from '../../../src/storage/apply-state.js';
import type { KvCommand } from '../../../src/storage/kv-command.js';
import type { KeyValue } from '../../../src/storage/kv-types.js';
import { NodeStorage } from '../../../src/storage/node-storage.js';
import type { SnapshotHeader } from '../../../src/storage/snapshot-format.js';
import { SnapshotFileReader } from '../../../src/storage/snapshot-stream.js';
import { b, commandEntry, dbPath, dumpTable, g1, g2, kvOptions, put, removeTempDirs, tempDir, text } from './helpers.js';

const ringPosition = (key: Uint8Array): number => (key[0] ?? 0) * 2 ** 40;
const RANGE: RingBounds = { start: ringPosition(b('b')), end: ringPosition(b('y')) };
const MID = ringPosition(b('m'));
const CHILD_RANGE: RingBounds = { start: MID, end: RANGE.end };
const founder = founderState([nodeId(1), nodeId(2), nodeId(3)], [], { 1: 'h1:7000', 2: 'h2:7000', 3: 'h3:7000' });
const options = { ...kvOptions, ringPosition };

const open: NodeStorage[] = [];
let leader: NodeStorage;

function newNode(): NodeStorage {
  const node = NodeStorage.open({ path: dbPath(tempDir()), kv: options });
  open.push(node);
  return node;
}

/** Splits group 1 of `node` after writing a few keys on both sides of mid. */
async function splitOn(node: NodeStorage): Promise<void> {
  const { kv } = await node.openGroup(g1, founder, RANGE);
  const split: KvCommand = { type: 'split', child: g2, mid: MID, timeMs: 9 };
  const commands = [put('c1', 'v'), put('n1', 'v'), put('q1', 'v1'), put('q1', 'v2'), put('x1', 'v', { timeMs: 7 }), split];
  const applied = kv.apply(commands.map((command, i) => commandEntry(2 + i, command)));
  expect(applied[applied.length - 1]?.result).toMatchObject({ type: 'split', born: true });
}

async function readSnapshot(node: NodeStorage, file: string): Promise<{ header: SnapshotHeader; kvs: KeyValue[] }> {
  const reader = await SnapshotFileReader.open(path.join(node.db.snapshotDir, file));
  try {
    const first = await reader.next();
    if (first.type !== 'header') throw new Error('snapshot does not start with a header');
    const kvs: KeyValue[] = [];
    for (let record = await reader.next(); record.type !== 'trailer'; record = await reader.next()) {
      if (record.type === 'kvs') kvs.push(...record.rows);
    }
    return { header: first.header, kvs };
  } finally {
    await reader.close();
  }
}

/** Child rows without the group column. */
function childKv(node: NodeStorage): unknown[] {
  return dumpTable(node.db, 'kv', g2).map(({ group_id: _, ...rest }) => rest);
}

beforeEach(async () => {
  leader = newNode();
  await splitOn(leader);
});

afterEach(() => {
  for (const node of open.splice(0)) if (node.db.sqlite.open) node.close();
  removeTempDirs();
});

describe('NodeStorage.ensureSnapshotFile() for a split-born group', () => {
  it('gives the child a snapshot file at index 1 holding the moved keys and its range', async () => {
    const child = await leader.openGroup(g2, joinerState());
    expect(child.log.snapshotFileName()).toBeNull();
    await leader.ensureSnapshotFile(g2);
    const file = child.log.snapshotFileName();
    expect(file).toBe('g2-i1-t1.snap');
    expect(child.log.snapshotMeta()).toEqual({ index: 1, term: 1, conf: founder.snapshot.conf });
    const stored = leader.db.statement('SELECT idx, term, file FROM snapshot WHERE group_id = ?').get(g2);
    expect(stored).toEqual({ idx: 1, term: 1, file: 'g2-i1-t1.snap' });

    const { header, kvs } = await readSnapshot(leader, file ?? '');
    expect(header).toEqual({ group: g2, meta: { index: 1, term: 1, conf: founder.snapshot.conf }, revision: 5, clockMs: 7, range: CHILD_RANGE });
    expect(kvs.map((kv) => [text(kv.key), text(kv.value), kv.version, kv.createRevision, kv.modRevision])).toEqual([
      ['n1', 'v', 1, 2, 2],
      ['q1', 'v2', 2, 3, 4],
      ['x1', 'v', 1, 5, 5],
    ]);
  });

  it('is idempotent: a second call keeps the same file', async () => {
    const child = await leader.openGroup(g2, joinerState());
    await leader.ensureSnapshotFile(g2);
    const first = child.log.snapshotFileName();
    await leader.ensureSnapshotFile(g2);
    expect(child.log.snapshotFileName()).toBe(first);
  });

  it('lets a follower that knows nothing of the child install it with the same descriptor and keys', async () => {
    const child = await leader.openGroup(g2, joinerState());
    await leader.ensureSnapshotFile(g2);
    const meta: SnapshotMeta = child.log.snapshotMeta();

    const follower = newNode();
    const replica = await follower.openGroup(g2, joinerState());
    expect(replica.kv.descriptor()).toBeNull();
    for (let offset = 0, chunks = 0; ; chunks++) {
      expect(chunks).toBeLessThan(10_000); // bound the loop
      const chunk = child.log.snapshotChunk(meta.index, offset, 64);
      if (chunk === undefined) throw new Error('snapshot replaced during transfer');
      follower.persistBatch([{ group: g2, entries: [], snapshotChunk: { meta, offset, data: chunk.data, done: chunk.done } }]);
      offset += chunk.data.byteLength;
      if (chunk.done) break;
    }
    await follower.installSnapshot(g2);

    expect(replica.kv.descriptor()).toEqual(CHILD_RANGE);
    expect(replica.kv.appliedIndex()).toBe(1);
    expect(replica.kv.confState()).toEqual(founder.snapshot.conf);
    expect(replica.kv.revision()).toBe(5);
    expect(replica.log.snapshotMeta()).toEqual(meta);
    expect(childKv(follower)).toEqual(childKv(leader));
    expect(replica.kv.owns(b('q1'))).toBe(true);
    expect(replica.kv.owns(b('c1'))).toBe(false);
  });

  it('survives a restart of the node between the split and the snapshot', async () => {
    const file = leader.db.path;
    leader.close();
    leader = NodeStorage.open({ path: file, kv: options });
    open.push(leader);
    const child = await leader.openGroup(g2, joinerState());
    await leader.ensureSnapshotFile(g2);
    expect(child.log.snapshotFileName()).toBe('g2-i1-t1.snap');
    expect(child.kv.descriptor()).toEqual(CHILD_RANGE);
  });
});
