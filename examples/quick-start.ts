/**
 * Quick start: connect, write, read, compare-and-swap, delete, and tell the errors apart.
 *
 *   npm start                                   # a local 3-node cluster on 127.0.0.1:7001..7003
 *   npx tsx examples/quick-start.ts --endpoints 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
 */
import { createClient, KvError, OutcomeUnknownError, UnreachableError } from '../src/client/kv-client.js';
import { endpointsFromArgs } from './endpoints.js';

const client = createClient({ endpoints: endpointsFromArgs(), defaultDeadlineMs: 3_000 });

try {
  // Writes go to the leader; the client finds it and retries safely (exactly once) if it moves.
  const { header } = await client.put('greeting', 'hello, raftkv');
  console.log(`put greeting at revision ${header.revision} (leader: node ${header.nodeId})`);

  // Reads are linearizable by default; 'serializable' lets any node answer from its own state.
  const kv = await client.get('greeting');
  console.log(`get greeting -> ${kv?.text() ?? '(missing)'} (version ${kv?.version ?? 0})`);
  const stale = await client.get('greeting', { consistency: 'serializable' });
  console.log(`serializable get -> ${stale?.text() ?? '(missing)'}`);

  // Compare-and-swap: only if the value is still what we read.
  await client.cas('greeting', 'hello, raftkv', 'hello again');
  try {
    await client.cas('greeting', 'hello, raftkv', 'never written');
  } catch (error) {
    if (error instanceof KvError && error.code === 'CAS_MISMATCH') console.log(`cas refused: key is at version ${error.details.currentVersion}`);
    else throw error;
  }

  const deleted = await client.delete('greeting');
  console.log(`delete greeting -> deleted: ${deleted.deleted}`);
  console.log(`get after delete -> ${(await client.get('greeting')) === null ? 'null' : 'still there?'}`);
} catch (error) {
  if (error instanceof UnreachableError) console.error(`cannot reach the cluster (${error.reason}); is it running? (npm start)`);
  else if (error instanceof OutcomeUnknownError) console.error(`a write may or may not have applied: ${error.message}`);
  else if (error instanceof KvError) console.error(`raftkv error ${error.code}: ${error.message}`);
  else throw error;
  process.exitCode = 1;
} finally {
  client.close();
}
