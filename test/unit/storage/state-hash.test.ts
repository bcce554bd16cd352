// The consistency check's state hash (src/storage/state-hash.ts): replicas that applied the same
// entries hash alike at a hashCheck entry, whatever else their batches held and in whatever order
// the rows went in; any change of a replicated byte (a value, a version, a session) changes it;
// another group's rows do not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupId } from '../../../src/shared/ids.js';
import type { KvCommand } from '../../../src/storage/kv-command.js';
import type { NodeStorage } from '../../../src/storage/node-storage.js';
import type { StateHash } from '../../../src/storage/state-hash.js';
import { b, bootstrap, commandEntry, dbPath, g1, openNode, put, removeTempDirs, tempDir } from './helpers.js';

const opened: NodeStorage[] = [];
const check: KvCommand = { type: 'hashCheck', timeMs: 1 };

afterEach(() => {
  for (const node of opened.splice(0)) node.close();
  removeTempDirs();
});

async function replica(): Promise<{ node: NodeStorage; apply: (...commands: KvCommand[]) => void; hashAt: (index: number) => Promise<string> }> {
  const node = openNode(dbPath(tempDir()));
  opened.push(node);
  const kv = (await node.openGroup(g1, bootstrap)).kv;
  let next = 1;
  return {
    node,
    apply: (...commands) => void kv.apply(commands.map((command) => commandEntry(next++, command))),
    hashAt: (index) => vi.waitFor(() => {
      const found = kv.hashes.list().find((h: StateHash) => h.index === index);
      if (found === undefined) throw new Error(`no hash at ${index} yet`);
      return found.hash;
    }),
  };
}

describe('state hash', () => {
  it('is the same on replicas that applied the same entries, at the hashCheck index even mid-batch', async () => {
    const one = await replica();
    const two = await replica();
    one.apply(put('a', '1'), put('b', '2'), check, put('c', '3'));
    two.apply(put('a', '1'), put('b', '2'));
    two.apply(check);
    expect(await one.hashAt(3)).toBe(await two.hashAt(3));
    expect(await one.hashAt(3)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the order rows were inserted in', async () => {
    const one = await replica();
    const two = await replica();
    one.apply({ type: 'batchPut', items: [{ key: b('x'), value: b('1') }, { key: b('y'), value: b('2') }], timeMs: 1 }, check);
    two.apply({ type: 'batchPut', items: [{ key: b('y'), value: b('2') }, { key: b('x'), value: b('1') }], timeMs: 1 }, check);
    expect(await one.hashAt(2)).toBe(await two.hashAt(2));
  });

  it.each([
    ['a flipped value byte', "UPDATE kv SET value = x'7631' WHERE key = x'61'"],
    ['a changed version', "UPDATE kv SET version = version + 1 WHERE key = x'61'"],
    ['a changed session seq', 'UPDATE session SET seq = seq + 1'],
    ['a changed mod revision', "UPDATE kv SET mod_revision = mod_revision + 1 WHERE key = x'62'"],
  ])('changes on %s', async (_what, corruption) => {
    const one = await replica();
    const two = await replica();
    for (const r of [one, two]) r.apply(put('a', 'v0', { session: { id: 's', seq: 1 } }), put('b', '2'));
    two.node.db.sqlite.exec(corruption);
    one.apply(check);
    two.apply(check);
    expect(await one.hashAt(3)).not.toBe(await two.hashAt(3));
  });

  it("ignores another group's rows", async () => {
    const one = await replica();
    const two = await replica();
    const other = (await two.node.openGroup(groupId(2), bootstrap)).kv;
    other.apply([commandEntry(1, put('a', 'elsewhere'))]);
    one.apply(put('a', '1'), check);
    two.apply(put('a', '1'), check);
    expect(await one.hashAt(2)).toBe(await two.hashAt(2));
  });
});
