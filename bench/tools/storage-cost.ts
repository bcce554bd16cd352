/**
 * What one replica's storage costs per written entry: CPU of `NodeStorage.persistBatch` (the
 * round's log entries and hard state, one synced commit) and of `KvStateMachine.apply` (one
 * unsynced commit), for rounds of `--batch` puts of 128-byte values on random keys of a 10,000-key
 * space, on the disk under test. Every replica of a group pays both for every write; the leader
 * pays them besides serving the client.
 *
 *   npx tsx bench/tools/storage-cost.ts [--batch 10] [--rounds 3000] [--sessions 0] [--dir /tmp]
 *
 * `--sessions N` gives every put the next sequence number of one of N client sessions, as the
 * SDK's writes carry. Numbers vary by ±5% from run to run: compare runs made back to back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { founderState } from '../../src/raft/bootstrap.js';
import type { LogEntry } from '../../src/raft/types.js';
import { groupId, logIndex, nodeId, term } from '../../src/shared/ids.js';
import { encodeKvCommand } from '../../src/storage/kv-command-codec.js';
import { NodeStorage } from '../../src/storage/node-storage.js';

const { values } = parseArgs({ options: { batch: { type: 'string' }, rounds: { type: 'string' }, sessions: { type: 'string' }, dir: { type: 'string' } } });
const batch = Number(values.batch ?? 10);
const rounds = Number(values.rounds ?? 3000);
const sessions = Number(values.sessions ?? 0);
const dir = mkdtempSync(join(values.dir ?? tmpdir(), 'storage-cost-'));
const group = groupId(1);
const storage = NodeStorage.open({ path: join(dir, 'node.db'), kv: { sessionTtlMs: 600_000, sessionsMax: 100_000 } });
const initial = founderState([nodeId(1), nodeId(2), nodeId(3)]);
await storage.openGroup(group, initial);
const value = new Uint8Array(128).fill(7);
const seqs = new Array<number>(sessions).fill(0);
let next = initial.snapshot.index + 1;

function entry(): LogEntry {
  const key = new TextEncoder().encode(`bench/${String(Math.floor(Math.random() * 10_000)).padStart(9, '0')}`);
  const client = Math.floor(Math.random() * sessions);
  const session = sessions === 0 ? {} : { session: { id: `client-${client}`, seq: (seqs[client] = (seqs[client] ?? 0) + 1) } };
  const data = encodeKvCommand({ type: 'put', key, value, timeMs: Date.now(), ...session });
  return { index: logIndex(next++), term: term(1), type: 'normal', data };
}

let persistUs = 0;
let applyUs = 0;
for (let round = 0; round < rounds; round++) {
  const entries = Array.from({ length: batch }, entry);
  const before = process.cpuUsage();
  storage.persistBatch([{ group, entries, hardState: { term: term(1), vote: null, commit: logIndex(next - 1) } }]);
  const persisted = process.cpuUsage(before);
  storage.group(group).kv.apply(storage.group(group).log.entries(entries[0]!.index, logIndex(next), 1 << 20));
  const applied = process.cpuUsage(before);
  persistUs += persisted.user + persisted.system;
  applyUs += applied.user + applied.system - persisted.user - persisted.system;
}
const n = rounds * batch;
console.log(`rounds of ${batch}${sessions > 0 ? `, ${sessions} sessions` : ''}: persist ${(persistUs / n).toFixed(1)} µs/entry (with its fsync), apply ${(applyUs / n).toFixed(1)} µs/entry (CPU of this process, ${dir})`);
storage.close();
rmSync(dir, { recursive: true, force: true });
