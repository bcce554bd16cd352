// The register workload: read / write / cas on many independent keys, recorded in the exact format
// of HISTORY.md for the per-key linearizability checker. Habits that keep the check tractable: at
// most `perKey` workers on a key at once, a fresh key after `opsPerKey` operations or
// `infoPerKeyMax` indeterminate writes, unique values, every key starting absent. A cas is one Txn:
// a VALUE compare (or VERSION = 0 for "absent") and a put. Outcomes: an answer is `ok` (a compare
// that failed is ok with cas_ok false); a refusal the server explained, or a call never sent, is
// `fail`; anything else (timeout, dropped connection) is `info`, after which the worker takes a new
// process id.
import type { NodeId } from '../../../src/shared/ids.js';
import { bytes, field, get, LEASE, LINEARIZABLE } from '../../support/kv-wire.js';
import { errorText, isCertainRefusal } from '../../support/history-recorder.js';
import type { OpFunction } from '../checker/history.js';
import { backoff, runWorkers, unwrapFailure, type PrefixScan, type WorkloadContext } from './context.js';

export const registerPrefix = 'reg/';

export interface RegisterOptions {
  readonly workers: number;
  readonly perKey: number;
  readonly opsPerKey: number;
  readonly infoPerKeyMax: number;
}

export const registerDefaults = { perKey: 5, opsPerKey: 100, infoPerKeyMax: 4 } as const;

interface Slot {
  readonly index: number;
  generation: number;
  key: string;
  ops: number;
  infos: number;
  /** The latest value a worker saw or wrote on this key, the usual cas `expected`. */
  known: string | null;
}

interface Planned {
  readonly f: OpFunction;
  readonly value: string | null;
  readonly expected?: string | null;
}

type OpResult = { readonly value?: string | null; readonly casOk?: boolean };

export class RegisterWorkload {
  private readonly slots: Slot[];
  private readonly keys = new Set<string>();
  private counter = 0;

  constructor(private readonly ctx: WorkloadContext, private readonly options: RegisterOptions) {
    const slotCount = Math.max(1, Math.ceil(options.workers / options.perKey));
    this.slots = Array.from({ length: slotCount }, (_, index) => ({ index, generation: 0, key: '', ops: 0, infos: 0, known: null }));
    for (const slot of this.slots) this.rotate(slot);
  }

  /** Every key the workload touched, for the final reads. */
  get keysUsed(): readonly string[] {
    return [...this.keys];
  }

  run(): Promise<void> {
    return runWorkers(this.options.workers, (i) => this.worker(i));
  }

  private rotate(slot: Slot): void {
    slot.generation += 1;
    slot.key = `${registerPrefix}k${slot.index}-${slot.generation}`;
    slot.ops = 0;
    slot.infos = 0;
    slot.known = null;
    this.keys.add(slot.key);
  }

  private async worker(index: number): Promise<void> {
    const slot = this.slots[index % this.slots.length] as Slot;
    let process = this.ctx.recorder.newProcess();
    while (!this.ctx.stopped()) {
      const key = slot.key;
      const outcome = await this.op(process, key, this.plan(slot));
      if (key === slot.key) {
        slot.ops += 1;
        if (outcome === 'info') slot.infos += 1;
        if (slot.ops >= this.options.opsPerKey || slot.infos >= this.options.infoPerKeyMax) this.rotate(slot);
      }
      if (outcome === 'info') process = this.ctx.recorder.newProcess();
      if (outcome !== 'ok') await backoff(this.ctx.rng);
    }
  }

  private plan(slot: Slot): Planned {
    const draw = this.ctx.rng.nextFloat();
    if (draw < 0.45) return { f: 'read', value: null };
    const value = `v${++this.counter}`;
    if (draw < 0.75) return { f: 'write', value };
    const expected = this.ctx.rng.nextInt(4) === 0 ? null : slot.known;
    return { f: 'cas', value, expected };
  }

  private async op(process: number, key: string, planned: Planned): Promise<'ok' | 'fail' | 'info'> {
    const { recorder, router } = this.ctx;
    const invokeNs = recorder.invoke(process, planned.f, key, planned.value, planned.expected);
    let outcome: 'ok' | 'fail' | 'info';
    let completeNs: number;
    let node: NodeId;
    try {
      const routed = await router.send(key, planned.f === 'read', this.ctx.opTimeoutMs, (to, deadlineMs) => this.call(to, key, planned, deadlineMs));
      node = routed.node;
      completeNs = recorder.complete(process, 'ok', planned.f, key, routed.value);
      outcome = 'ok';
      this.learn(key, planned, routed.value);
    } catch (caught) {
      const failure = unwrapFailure(caught, this.ctx.cluster.nodes[0] as NodeId);
      node = failure.node;
      outcome = isCertainRefusal(failure.error) ? 'fail' : 'info';
      completeNs = recorder.complete(process, outcome, planned.f, key, { error: errorText(failure.error) });
    }
    this.ctx.ops.push({ workload: 'register', f: planned.f, invokeNs, completeNs, outcome, node });
    return outcome;
  }

  private learn(key: string, planned: Planned, result: OpResult): void {
    const slot = this.slots.find((s) => s.key === key);
    if (slot === undefined) return;
    if (planned.f === 'read') slot.known = result.value ?? null;
    else if (planned.f === 'write' || result.casOk === true) slot.known = planned.value;
  }

  private async call(node: NodeId, key: string, planned: Planned, deadlineMs: number): Promise<OpResult> {
    const stub = this.ctx.cluster.kvStub(node);
    if (planned.f === 'read') {
      const consistency = this.ctx.leaseReads && this.ctx.rng.nextInt(2) === 0 ? LEASE : LINEARIZABLE;
      const stored = await get(stub, key, consistency, deadlineMs);
      return { value: stored === null ? null : stored.value };
    }
    if (planned.f === 'write') {
      await stub.call('Put', { key: bytes(key), value: bytes(planned.value ?? '') }, { deadlineMs });
      return {};
    }
    const expected = planned.expected ?? null;
    const compare = expected === null
      ? { key: bytes(key), target: 'VERSION', op: 'EQUAL', number: '0' }
      : { key: bytes(key), target: 'VALUE', op: 'EQUAL', value: bytes(expected) };
    const response = await stub.call('Txn', {
      compares: [compare], success: [{ put: { key: bytes(key), value: bytes(planned.value ?? '') } }], failure: [],
    }, { deadlineMs });
    return { casOk: field(response, 'succeeded') === true };
  }
}

/**
 * Final reads of every key under `prefix`, recorded as one `read` per key (each by its own
 * process): all invokes before the scan, all completions after it. Each key is read by a
 * linearizable Range page at one instant inside the scan (on a sharded cluster, one page per group
 * and so one instant per group: see ShardRouter.scanPrefix), so each per-key read is honest.
 */
export async function recordFinalReads(ctx: WorkloadContext, scanPrefix: PrefixScan, prefix: string, keys: readonly string[]): Promise<Map<string, string>> {
  const { recorder } = ctx;
  const processes = keys.map((key) => ({ key, process: recorder.newProcess() }));
  for (const { key, process } of processes) recorder.invoke(process, 'read', key, null);
  try {
    const found = await scanPrefix(prefix);
    for (const { key, process } of processes) recorder.complete(process, 'ok', 'read', key, { value: found.get(key) ?? null });
    return found;
  } catch (error) {
    for (const { key, process } of processes) recorder.complete(process, 'info', 'read', key, { error: errorText(error) });
    throw error;
  }
}
