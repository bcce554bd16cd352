/**
 * Bank transfers with transactions: read both balances, then move money in one Txn that only
 * commits if neither account changed since the read (compare on mod revision); retry on conflict.
 * Many concurrent transfers run; the total never changes.
 *
 *   npx tsx examples/txn-bank-transfer.ts --endpoints 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003
 */
import { compare, createClient, op, type KvClient } from '../src/client/kv-client.js';
import { endpointsFromArgs } from './endpoints.js';

const ACCOUNTS = ['bank/alice', 'bank/bob', 'bank/carol'];
const OPENING_BALANCE = 100;
const TRANSFERS = 30;
const CONFLICT_RETRIES_MAX = 50;

async function balance(client: KvClient, account: string): Promise<{ amount: number; modRevision: number }> {
  const kv = await client.get(account);
  if (kv === null) throw new Error(`account ${account} does not exist`);
  return { amount: Number(kv.text()), modRevision: kv.modRevision };
}

/** Moves `amount` from one account to another; false if the source lacks the money. */
async function transfer(client: KvClient, from: string, to: string, amount: number): Promise<boolean> {
  for (let attempt = 1; attempt <= CONFLICT_RETRIES_MAX; attempt++) {
    const [source, target] = await Promise.all([balance(client, from), balance(client, to)]);
    if (source.amount < amount) return false;
    const result = await client.txn()
      .if(compare.modRevision(from, '=', source.modRevision), compare.modRevision(to, '=', target.modRevision))
      .then(op.put(from, String(source.amount - amount)), op.put(to, String(target.amount + amount)))
      .commit();
    if (result.succeeded) return true;
    // Someone else moved money in between: read again and retry.
  }
  throw new Error(`transfer ${from} -> ${to} kept conflicting after ${CONFLICT_RETRIES_MAX} tries`);
}

const client = createClient({ endpoints: endpointsFromArgs() });
try {
  await client.batch(ACCOUNTS.map((key) => ({ key, value: String(OPENING_BALANCE) })));
  const jobs = Array.from({ length: TRANSFERS }, (_, i) => {
    const from = ACCOUNTS[i % ACCOUNTS.length] ?? '';
    const to = ACCOUNTS[(i + 1) % ACCOUNTS.length] ?? '';
    return transfer(client, from, to, 1 + (i % 7));
  });
  const done = await Promise.all(jobs);
  const balances = await Promise.all(ACCOUNTS.map((a) => balance(client, a)));
  const total = balances.reduce((sum, b) => sum + b.amount, 0);
  ACCOUNTS.forEach((a, i) => console.log(`${a.padEnd(12)} ${balances[i]?.amount}`));
  console.log(`${done.filter(Boolean).length} of ${TRANSFERS} transfers done; total ${total} (expected ${OPENING_BALANCE * ACCOUNTS.length})`);
  if (total !== OPENING_BALANCE * ACCOUNTS.length) process.exitCode = 1;
} finally {
  client.close();
}
