/**
 * Paging through a large range: write 2,500 keys in batches, then iterate them with small pages
 * (each page is one Range call with its own deadline and retries), page by page or key by key,
 * with a limit, and keys only. Cleans up after itself.
 *
 *   npx tsx examples/paging.ts --endpoints 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
 */
import { createClient, op } from '../src/client/kv-client.js';
import { endpointsFromArgs } from './endpoints.js';

const PREFIX = 'example/paging/';
const KEYS = 2_500;
const BATCH_ITEMS_MAX = 1_000;

const client = createClient({ endpoints: endpointsFromArgs() });
try {
  const keys = Array.from({ length: KEYS }, (_, i) => `${PREFIX}${String(i).padStart(5, '0')}`);
  for (let i = 0; i < keys.length; i += BATCH_ITEMS_MAX) {
    await client.batch(keys.slice(i, i + BATCH_ITEMS_MAX).map((key, j) => ({ key, value: `value ${i + j}` })));
  }
  console.log(`wrote ${KEYS} keys under ${PREFIX}`);

  let pages = 0;
  for await (const page of client.range({ prefix: PREFIX }, { pageSize: 300 }).pages()) {
    pages++;
    const first = page.kvs[0]?.keyText() ?? '-';
    const last = page.kvs[page.kvs.length - 1]?.keyText() ?? '-';
    console.log(`page ${pages}: ${page.kvs.length} keys, ${first} .. ${last}${page.more ? '' : ' (last page)'}`);
  }

  let seen = 0;
  for await (const kv of client.range({ start: `${PREFIX}01000`, end: `${PREFIX}02000` }, { limit: 150, pageSize: 40, keysOnly: true })) {
    if (seen++ === 0) console.log(`keys-only range starts at ${kv.keyText()} (value is ${kv.value.byteLength} bytes)`);
  }
  console.log(`limited range returned ${seen} keys`);

  for (let i = 0; i < keys.length; i += 100) await client.txn().then(...keys.slice(i, i + 100).map((key) => op.delete(key))).commit();
  console.log('cleaned up');
} finally {
  client.close();
}
