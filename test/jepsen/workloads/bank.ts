// The bank workload: a multi-key transaction invariant within one group. `accounts` keys
// `bank/{bank}a<i>` (one hash tag, so one group) start at `initial` each (one BatchPut). A transfer
// reads both accounts, then commits one Txn whose compares pin both keys' mod revisions and whose
// success branch puts both new balances; a read takes every balance at one instant (a Range page,
// or a read-only Txn, which goes through the log). Every `ok` read, and the final read after the
// heal, must show the same total and no negative balance. Operations go to bank.jsonl (format in
// ../README.md), not history.jsonl, whose format has no multi-key operations. On a sharded cluster
// the accounts share the {bank} hash tag, so one group holds them all and the Txns stay in it; a
// Range reads that one group (single_group), and the read through the log is a Txn of gets (the
// server refuses a range inside a txn when sharded).
import type { NodeId } from '../../../src/shared/ids.js';
import { bytes, field, get, LINEARIZABLE, storedValue, type StoredValue } from '../../support/kv-wire.js';
import { errorText, isCertainRefusal, nowNs } from '../../support/history-recorder.js';
import { pollUntil } from '../../support/poll.js';
import type { ShardRouter } from './shard-router.js';
import { backoff, runWorkers, unwrapFailure, type WorkloadContext } from './context.js';

export const bankPrefix = 'bank/';

export interface BankEvent {
  readonly process: number;
  readonly type: 'invoke' | 'ok' | 'fail' | 'info';
  readonly f: 'transfer' | 'read';
  readonly time: number;
  readonly from?: number;
  readonly to?: number;
  readonly amount?: number;
  /** ok transfer: whether the compares held and the money moved. */
  readonly applied?: boolean;
  /** ok read: balance per account. */
  readonly balances?: readonly number[];
  readonly error?: string;
}

export interface BankResult {
  readonly accounts: number;
  readonly expectedTotal: number;
  readonly reads: number;
  readonly transfersApplied: number;
  /** Reads whose total differs or that show a negative balance. */
  readonly badReads: readonly { readonly time: number; readonly balances: readonly number[] }[];
  readonly finalBalances: readonly number[];
  readonly valid: boolean;
}

/** The {bank} hash tag keeps every account in one group once the server is sharded. */
const accountKey = (i: number): string => `${bankPrefix}{bank}a${i}`;

export class BankWorkload {
  readonly events: BankEvent[] = [];
  private processes = 0;

  constructor(private readonly ctx: WorkloadContext, private readonly workers: number, readonly accounts = 5, readonly initial = 100) {}

  get expectedTotal(): number {
    return this.accounts * this.initial;
  }

  /** Writes the opening balances, retrying on the leader until one BatchPut is acknowledged. */
  async setup(): Promise<void> {
    const items = Array.from({ length: this.accounts }, (_, i) => ({ key: bytes(accountKey(i)), value: bytes(String(this.initial)) }));
    const batchPut = (node: NodeId, deadlineMs: number): Promise<unknown> => this.ctx.cluster.kvStub(node).call('BatchPut', { items }, { deadlineMs });
    await pollUntil('the bank accounts to be opened', 30_000, async () => {
      if (this.ctx.shards !== undefined) {
        await this.ctx.router.send(accountKey(0), false, 5_000, batchPut);
        return true;
      }
      const leader = await this.ctx.cluster.leaderOf();
      if (leader === undefined) return undefined;
      await batchPut(leader, 5_000);
      return true;
    }, 200);
  }

  run(): Promise<void> {
    return runWorkers(this.workers, () => this.worker());
  }

  private async worker(): Promise<void> {
    let process = this.processes++;
    while (!this.ctx.stopped()) {
      const outcome = this.ctx.rng.nextInt(3) === 0 ? await this.read(process) : await this.transfer(process);
      if (outcome === 'info') process = this.processes++;
      if (outcome !== 'ok') await backoff(this.ctx.rng);
    }
  }

  private finish(process: number, f: BankEvent['f'], invokeNs: number, caught: unknown): 'fail' | 'info' {
    const { error, node } = unwrapFailure(caught, this.ctx.cluster.nodes[0] as NodeId);
    const outcome = isCertainRefusal(error) ? 'fail' : 'info';
    const time = nowNs();
    this.events.push({ process, type: outcome, f, time, error: errorText(error) });
    this.ctx.ops.push({ workload: 'bank', f, invokeNs, completeNs: time, outcome, node });
    return outcome;
  }

  private async transfer(process: number): Promise<'ok' | 'fail' | 'info'> {
    const { rng, router } = this.ctx;
    const from = rng.nextInt(this.accounts);
    const to = (from + 1 + rng.nextInt(this.accounts - 1)) % this.accounts;
    const amount = 1 + rng.nextInt(5);
    const invokeNs = nowNs();
    this.events.push({ process, type: 'invoke', f: 'transfer', from, to, amount, time: invokeNs });
    try {
      // One attempt reads both accounts and commits on one node; a retry (after a refusal that
      // proves nothing was written) starts over with fresh reads.
      const { value: applied, node } = await router.send(accountKey(from), false, this.ctx.opTimeoutMs, async (at, deadlineMs) => {
        const stub = this.ctx.cluster.kvStub(at);
        const read = (i: number): Promise<StoredValue | null> => get(stub, accountKey(i), LINEARIZABLE, deadlineMs);
        const [a, b] = await Promise.all([read(from), read(to)]);
        return a !== null && b !== null && Number(a.value) >= amount ? this.commit(at, from, to, amount, a, b, deadlineMs) : false;
      });
      const time = nowNs();
      this.events.push({ process, type: 'ok', f: 'transfer', from, to, amount, applied, time });
      this.ctx.ops.push({ workload: 'bank', f: 'transfer', invokeNs, completeNs: time, outcome: 'ok', node });
      return 'ok';
    } catch (error) {
      return this.finish(process, 'transfer', invokeNs, error);
    }
  }

  private async commit(node: NodeId, from: number, to: number, amount: number, a: StoredValue, b: StoredValue, deadlineMs: number): Promise<boolean> {
    const pin = (i: number, v: StoredValue) => ({ key: bytes(accountKey(i)), target: 'MOD_REVISION', op: 'EQUAL', number: String(v.modRevision) });
    const put = (i: number, balance: number) => ({ put: { key: bytes(accountKey(i)), value: bytes(String(balance)) } });
    const response = await this.ctx.cluster.kvStub(node).call('Txn', {
      compares: [pin(from, a), pin(to, b)],
      success: [put(from, Number(a.value) - amount), put(to, Number(b.value) + amount)],
      failure: [],
    }, { deadlineMs });
    return field(response, 'succeeded') === true;
  }

  /** All balances at one instant: a Range page, or (every other read) a read-only Txn. */
  async balances(node: NodeId, viaLog: boolean, deadlineMs: number): Promise<number[]> {
    if (this.ctx.shards !== undefined) return this.shardedBalances(node, viaLog, deadlineMs, this.ctx.shards);
    const stub = this.ctx.cluster.kvStub(node);
    const range = { start: bytes(bankPrefix), prefix: true };
    const response = viaLog
      ? field((field(await stub.call('Txn', { compares: [], success: [{ range }], failure: [] }, { deadlineMs }), 'results') as unknown[])[0], 'range')
      : await stub.call('Range', { ...range, consistency: LINEARIZABLE }, { deadlineMs });
    const kvs = field(response, 'kvs');
    const byKey = new Map((Array.isArray(kvs) ? kvs : []).map((kv) => [Buffer.from(field(kv, 'key') as Uint8Array).toString(), storedValue(kv)]));
    return Array.from({ length: this.accounts }, (_, i) => Number(byKey.get(accountKey(i))?.value ?? NaN));
  }

  /** The sharded cluster's balances: one group's Range page, or a Txn of gets through the log. */
  private async shardedBalances(node: NodeId, viaLog: boolean, deadlineMs: number, shards: ShardRouter): Promise<number[]> {
    const stub = this.ctx.cluster.kvStub(node);
    const keys = Array.from({ length: this.accounts }, (_, i) => accountKey(i));
    if (viaLog) {
      const response = await stub.call('Txn', { compares: [], success: keys.map((key) => ({ get: { key: bytes(key) } })), failure: [] }, { deadlineMs });
      const results = field(response, 'results');
      return keys.map((_, i) => {
        const got = field((Array.isArray(results) ? results : [])[i], 'get');
        return field(got, 'found') === true ? Number(storedValue(field(got, 'kv')).value) : NaN;
      });
    }
    const group = await shards.groupOf(accountKey(0));
    const range = { start: bytes(bankPrefix), prefix: true, consistency: LINEARIZABLE, singleGroup: true, groupId: String(group), ...(await shards.ringRangeOf(group)) };
    const kvs = field(await stub.call('Range', range, { deadlineMs }), 'kvs');
    const byKey = new Map((Array.isArray(kvs) ? kvs : []).map((kv) => [Buffer.from(field(kv, 'key') as Uint8Array).toString(), storedValue(kv)]));
    if (byKey.size < keys.length) {
      // A stale map may have sent the read to the group the accounts split away from: then this
      // was no read of the accounts at all. Otherwise the missing balances are a finding.
      await shards.refresh(true);
      if ((await shards.groupOf(accountKey(0))) !== group) throw new Error(`Cannot read the accounts from group ${group}: a split moved them (stale shard map)`);
    }
    return keys.map((key) => Number(byKey.get(key)?.value ?? NaN));
  }

  /** All balances through the router (the final read on a sharded cluster). */
  async routedBalances(deadlineMs: number): Promise<number[]> {
    return (await this.ctx.router.send(accountKey(0), true, deadlineMs, (node, left) => this.balances(node, false, left))).value;
  }

  private async read(process: number): Promise<'ok' | 'fail' | 'info'> {
    const invokeNs = nowNs();
    this.events.push({ process, type: 'invoke', f: 'read', time: invokeNs });
    try {
      const viaLog = this.ctx.rng.nextInt(2) === 0;
      const { value: balances, node } = await this.ctx.router.send(accountKey(0), true, this.ctx.opTimeoutMs, (at, deadlineMs) => this.balances(at, viaLog, deadlineMs));
      const time = nowNs();
      this.events.push({ process, type: 'ok', f: 'read', balances, time });
      this.ctx.ops.push({ workload: 'bank', f: 'read', invokeNs, completeNs: time, outcome: 'ok', node });
      return 'ok';
    } catch (error) {
      return this.finish(process, 'read', invokeNs, error);
    }
  }

  /** Checks every ok read and the final balances (read after the heal). */
  check(finalBalances: readonly number[]): BankResult {
    const good = (b: readonly number[]): boolean =>
      b.length === this.accounts && b.every((x) => Number.isInteger(x) && x >= 0) && b.reduce((s, x) => s + x, 0) === this.expectedTotal;
    const reads = this.events.filter((e) => e.type === 'ok' && e.f === 'read');
    const badReads = reads.filter((e) => !good(e.balances ?? [])).map((e) => ({ time: e.time, balances: e.balances ?? [] }));
    if (!good(finalBalances)) badReads.push({ time: nowNs(), balances: finalBalances });
    const transfersApplied = this.events.filter((e) => e.type === 'ok' && e.f === 'transfer' && e.applied === true).length;
    return {
      accounts: this.accounts, expectedTotal: this.expectedTotal, reads: reads.length, transfersApplied,
      badReads, finalBalances, valid: badReads.length === 0,
    };
  }

  jsonl(): string {
    return this.events.map((event) => JSON.stringify(event)).join('\n') + '\n';
  }
}
