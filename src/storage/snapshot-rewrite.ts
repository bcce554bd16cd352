/**
 * Copies a snapshot file with a new membership (and optionally one key's value replaced), for
 * `raftkv restore`: a restored group keeps its data, applied index, term, revision and ring range,
 * but is founded by the restore's members. Every restoring node rewrites the same input the same
 * way, so the replicas of a group start from identical snapshots. Streams record by record.
 */
import type { ConfState, SnapshotMeta } from '../raft/types.js';
import { assert } from '../shared/assert.js';
import type { KeyValue } from './kv-types.js';
import { SnapshotFileReader, SnapshotFileWriter } from './snapshot-stream.js';

export interface SnapshotRewrite {
  readonly conf: ConfState;
  /** Put this value under this key (kept in key order), as a put at the next revision would. */
  readonly replace?: { readonly key: Uint8Array; readonly value: Uint8Array };
}

/** Writes `to` from `from` with the rewrite applied; returns the new meta and the file size. */
export async function rewriteSnapshot(from: string, to: string, rewrite: SnapshotRewrite): Promise<{ meta: SnapshotMeta; bytes: number }> {
  const reader = await SnapshotFileReader.open(from);
  const writer = await SnapshotFileWriter.create(to);
  try {
    const first = await reader.next();
    assert(first.type === 'header', `Snapshot file ${from} does not start with a header`);
    const meta = { ...first.header.meta, conf: rewrite.conf };
    // The replacement counts as one put, so it gets its own revision, as an applied put would.
    const revision = first.header.revision + (rewrite.replace === undefined ? 0 : 1);
    await writer.write({ type: 'header', header: { ...first.header, meta, revision } });
    const replacer = new KeyReplacer(rewrite.replace, revision);
    for (let record = await reader.next(); record.type !== 'trailer'; record = await reader.next()) {
      await writer.write(record.type === 'kvs' ? { type: 'kvs', rows: replacer.pass(record.rows) } : record);
    }
    const rest = replacer.rest();
    if (rest.length > 0) await writer.write({ type: 'kvs', rows: rest });
    return { meta, bytes: await writer.finish() };
  } catch (error) {
    await writer.abort().catch(() => undefined);
    throw error;
  } finally {
    await reader.close();
  }
}

/** Puts one key into a stream of key-ordered rows, in order, exactly once. */
class KeyReplacer {
  private done: boolean;

  constructor(
    private readonly replace: SnapshotRewrite['replace'],
    private readonly revision: number,
  ) {
    this.done = replace === undefined;
  }

  pass(rows: readonly KeyValue[]): KeyValue[] {
    if (this.replace === undefined || this.done) return [...rows];
    const { key, value } = this.replace;
    const out: KeyValue[] = [];
    for (const row of rows) {
      const order = this.done ? -1 : Buffer.compare(row.key, key);
      if (order === 0) {
        out.push({ ...row, value, modRevision: this.revision, version: row.version + 1 });
        this.done = true;
        continue;
      }
      if (order > 0) {
        out.push(this.fresh(key, value));
        this.done = true;
      }
      out.push(row);
    }
    return out;
  }

  /** The key, if no row at or after it came by. */
  rest(): KeyValue[] {
    if (this.replace === undefined || this.done) return [];
    this.done = true;
    return [this.fresh(this.replace.key, this.replace.value)];
  }

  private fresh(key: Uint8Array, value: Uint8Array): KeyValue {
    return { key, value, createRevision: this.revision, modRevision: this.revision, version: 1 };
  }
}

