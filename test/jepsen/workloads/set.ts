// The set workload: unique adds, then one final read after every fault is healed. An add of
// element n is a put of key `set/e<n>` (value `e<n>`), recorded in history.jsonl as a register
// write, so the linearizability checker judges it too; the final Range is recorded as one read per
// key. The set check itself: every acknowledged add must be in the final read (else it is a lost
// write), and nothing may be there that was never attempted or whose add certainly failed.
import type { NodeId } from '../../../src/shared/ids.js';
import { bytes } from '../../support/kv-wire.js';
import { errorText, isCertainRefusal } from '../../support/history-recorder.js';
import { backoff, runWorkers, unwrapFailure, type PrefixScan, type WorkloadContext } from './context.js';
import { recordFinalReads } from './register.js';

export const setPrefix = 'set/';

export interface SetResult {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly failed: number;
  readonly indeterminate: number;
  /** Indeterminate adds that turned out present in the final read. */
  readonly indeterminatePresent: number;
  readonly lost: readonly string[];
  readonly unexpected: readonly string[];
  readonly valid: boolean;
}

export class SetWorkload {
  private counter = 0;
  private readonly attempted = new Map<string, 'ok' | 'fail' | 'info'>();

  constructor(private readonly ctx: WorkloadContext, private readonly workers: number) {}

  run(): Promise<void> {
    return runWorkers(this.workers, () => this.worker());
  }

  private async worker(): Promise<void> {
    let process = this.ctx.recorder.newProcess();
    while (!this.ctx.stopped()) {
      const outcome = await this.add(process);
      if (outcome === 'info') process = this.ctx.recorder.newProcess();
      if (outcome !== 'ok') await backoff(this.ctx.rng);
    }
  }

  private async add(process: number): Promise<'ok' | 'fail' | 'info'> {
    const { recorder, router } = this.ctx;
    const element = `e${++this.counter}`;
    const key = `${setPrefix}${element}`;
    this.attempted.set(key, 'info');
    const invokeNs = recorder.invoke(process, 'write', key, element);
    let outcome: 'ok' | 'fail' | 'info' = 'ok';
    let completeNs: number;
    let node: NodeId;
    try {
      node = (await router.send(key, false, this.ctx.opTimeoutMs, (to, deadlineMs) =>
        this.ctx.cluster.kvStub(to).call('Put', { key: bytes(key), value: bytes(element) }, { deadlineMs }))).node;
      completeNs = recorder.complete(process, 'ok', 'write', key);
    } catch (caught) {
      const failure = unwrapFailure(caught, this.ctx.cluster.nodes[0] as NodeId);
      node = failure.node;
      outcome = isCertainRefusal(failure.error) ? 'fail' : 'info';
      completeNs = recorder.complete(process, outcome, 'write', key, { error: errorText(failure.error) });
    }
    this.attempted.set(key, outcome);
    this.ctx.ops.push({ workload: 'set', f: 'add', invokeNs, completeNs, outcome, node });
    return outcome;
  }

  /** The final read (recorded in the history) and the set check. */
  async finalCheck(scanPrefix: PrefixScan): Promise<SetResult> {
    const found = await recordFinalReads(this.ctx, scanPrefix, setPrefix, [...this.attempted.keys()]);
    const count = (outcome: string): number => [...this.attempted.values()].filter((o) => o === outcome).length;
    const lost = [...this.attempted].filter(([key, outcome]) => outcome === 'ok' && !found.has(key)).map(([key]) => key);
    const unexpected = [...found]
      .filter(([key, value]) => !this.attempted.has(key) || this.attempted.get(key) === 'fail' || value !== key.slice(setPrefix.length))
      .map(([key]) => key);
    const indeterminatePresent = [...this.attempted].filter(([key, outcome]) => outcome === 'info' && found.has(key)).length;
    return {
      attempted: this.attempted.size, acknowledged: count('ok'), failed: count('fail'), indeterminate: count('info'),
      indeterminatePresent, lost, unexpected, valid: lost.length === 0 && unexpected.length === 0,
    };
  }
}
