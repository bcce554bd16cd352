// NodeStorage.open() checks the database's structure (src/storage/integrity.ts): a file with a
// mangled page header is refused at open with an error naming it, instead of opening, serving,
// and failing on the first read or write that reaches the page.
import { afterEach, describe, expect, it } from 'vitest';
import { DataFileError } from '../../../src/storage/database.js';
import { breakKvPageHeader } from '../../support/byte-flip.js';
import { b, bootstrap, commandEntry, dbPath, g1, openNode, removeTempDirs, tempDir } from './helpers.js';

afterEach(() => removeTempDirs());

async function nodeWithKeys(file: string): Promise<void> {
  const node = openNode(file);
  const kv = (await node.openGroup(g1, bootstrap)).kv;
  const items = Array.from({ length: 500 }, (_, i) => ({ key: b(`key-${i}`), value: new Uint8Array(200).fill(7) }));
  kv.apply([commandEntry(1, { type: 'batchPut', items, timeMs: 1 })]);
  node.close();
}

describe('NodeStorage.open() structure check', () => {
  it('opens a healthy database', async () => {
    const file = dbPath(tempDir());
    await nodeWithKeys(file);
    openNode(file).close();
  });

  it('refuses a database with a broken page header, naming the file', async () => {
    const file = dbPath(tempDir());
    await nodeWithKeys(file);
    breakKvPageHeader(file, (count) => Math.floor(count / 2));
    expect(() => openNode(file)).toThrow(DataFileError);
    expect(() => openNode(file)).toThrow(file);
  });
});
