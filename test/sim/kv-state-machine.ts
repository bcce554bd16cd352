/**
 * Goal: the replicated state machine of a simulated node: a small KV map whose every state has a
 * digest, so two nodes at one applied index compare in O(1) and a snapshot carries its history.
 * Method: commands are UTF-8 `put <key> <value>`; a normal entry with empty data is a leader no-op;
 * a confChange entry updates the durable membership. The digest chains (index, term, type, data)
 * of every applied entry. Snapshots are JSON; empty snapshot data is the bootstrap state.
 */
import { assert } from '../../src/shared/assert.js';
import { applyConfChange, decodeConfChange } from '../../src/raft/conf-change.js';
import { logIndex, nodeId, type LogIndex } from '../../src/shared/ids.js';
import type { ConfState, LogEntry, SnapshotMeta } from '../../src/raft/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const GENESIS_DIGEST = 'genesis';

export interface PutCommand {
  readonly key: string;
  readonly value: string;
}

export function encodePut(command: PutCommand): Uint8Array {
  assert(!command.key.includes(' ') && !command.value.includes(' '), 'Key and value must not contain spaces');
  return encoder.encode(`put ${command.key} ${command.value}`);
}

export function decodePut(data: Uint8Array): PutCommand {
  const [verb, key, value, ...rest] = decoder.decode(data).split(' ');
  assert(verb === 'put' && key !== undefined && value !== undefined && rest.length === 0, 'Malformed KV command');
  return { key, value };
}

/** Byte-exact text for any bytes (latin-1), for keys and trace lines. */
export function bytesText(data: Uint8Array): string {
  let text = '';
  for (const byte of data) text += String.fromCharCode(byte);
  return text;
}

/** Identity of an entry at a known index: equal keys mean equal term, type and bytes. */
export function entryKey(entry: LogEntry): string {
  return `${entry.term}/${entry.type}/${bytesText(entry.data)}`;
}

function fnv1a(text: string, basis: number): number {
  let hash = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Digest after applying `entry` on a state with digest `previous` (two FNV-1a lanes, 64 bits). */
export function chainDigest(previous: string, entry: LogEntry): string {
  const text = `${previous}|${entry.index}|${entryKey(entry)}`;
  return `${fnv1a(text, 0x811c9dc5).toString(16)}.${fnv1a(text, 0x050c5d1f).toString(16)}`;
}

interface SnapshotBody {
  readonly applied: number;
  readonly digest: string;
  readonly conf: ConfState;
  readonly kv: [string, string][];
}

export class KvStateMachine {
  private kv = new Map<string, string>();
  private appliedIndex: LogIndex;
  private confState: ConfState;
  private digestValue = GENESIS_DIGEST;

  /** Starts at the bootstrap snapshot of the node's store (index 1 for founders, 0 for joiners). */
  constructor(initial: SnapshotMeta) {
    this.appliedIndex = initial.index;
    this.confState = initial.conf;
  }

  get applied(): LogIndex {
    return this.appliedIndex;
  }
  get conf(): ConfState {
    return this.confState;
  }
  get digest(): string {
    return this.digestValue;
  }
  get(key: string): string | undefined {
    return this.kv.get(key);
  }

  /** Applies the next entry; the caller has checked it is the next index. */
  apply(entry: LogEntry): void {
    assert(entry.index === this.appliedIndex + 1, `Apply ${entry.index} after ${this.appliedIndex}`);
    if (entry.type === 'confChange') {
      this.confState = applyConfChange(this.confState, decodeConfChange(entry.data));
    } else if (entry.data.byteLength > 0) {
      const put = decodePut(entry.data);
      this.kv.set(put.key, put.value);
    }
    this.appliedIndex = entry.index;
    this.digestValue = chainDigest(this.digestValue, entry);
  }

  serialize(): Uint8Array {
    const body: SnapshotBody = { applied: this.appliedIndex, digest: this.digestValue, conf: this.confState, kv: [...this.kv] };
    return encoder.encode(JSON.stringify(body));
  }

  /** Replaces the state with a snapshot's; `meta` is what the core says the bytes hold. */
  restore(meta: SnapshotMeta, data: Uint8Array): void {
    const body = data.byteLength === 0
      ? { applied: meta.index, digest: GENESIS_DIGEST, conf: meta.conf, kv: [] }
      : parseSnapshot(data);
    assert(body.applied === meta.index, `Snapshot bytes hold index ${body.applied}, metadata says ${meta.index}`);
    this.kv = new Map(body.kv);
    this.appliedIndex = logIndex(body.applied);
    this.confState = body.conf;
    this.digestValue = body.digest;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function parseIds(value: unknown): number[] {
  assert(Array.isArray(value) && value.every((v) => typeof v === 'number'), 'Snapshot conf holds non-numeric ids');
  return value as number[];
}

function parsePairs(value: unknown): [string, string][] {
  assert(Array.isArray(value), 'Snapshot kv is not a list');
  return value.map((pair: unknown) => {
    assert(Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string', 'Snapshot kv pair is malformed');
    return [pair[0], pair[1]];
  });
}

function parseSnapshot(data: Uint8Array): SnapshotBody {
  const value: unknown = JSON.parse(decoder.decode(data));
  assert(isRecord(value) && isRecord(value['conf']), 'Snapshot is not a JSON object');
  const { applied, digest, conf, kv } = value;
  assert(typeof applied === 'number' && typeof digest === 'string' && isRecord(conf), 'Snapshot header is malformed');
  return {
    applied,
    digest,
    conf: { voters: parseIds(conf['voters']).map(nodeId), learners: parseIds(conf['learners']).map(nodeId) },
    kv: parsePairs(kv),
  };
}
