// results.json of a fault run and its console summary: operations by workload, function and
// outcome, indeterminate count, the verdict of every check, availability during faults and quiet
// periods, lost acknowledged writes, recovery after the heal, and what the nemesis did.
import type { Verdict } from '../checker/linearizability.js';
import type { NemesisLogEntry } from '../nemesis/runner.js';
import type { RunOptions } from '../run-options.js';
import type { OpRecord } from '../workloads/context.js';
import type { BankResult } from '../workloads/bank.js';
import type { SetResult } from '../workloads/set.js';
import type { Availability } from './availability.js';
import type { LinearizabilityReport } from './checks.js';
import type { ShardReport } from './shard-report.js';

export interface Recovery {
  readonly ok: boolean;
  /** From the final heal to the first acknowledged write. */
  readonly ms: number | null;
  readonly error?: string;
}

export interface RunFacts {
  readonly options: RunOptions;
  readonly mode: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly ops: readonly OpRecord[];
  readonly linearizability: LinearizabilityReport;
  readonly set?: SetResult;
  readonly bank?: BankResult;
  /** Final reads that failed after the heal (their checks then have no verdict). */
  readonly finalReadErrors?: readonly string[];
  /** Sharded runs only: the map after the run, and groups whose membership differs from it. */
  readonly shards?: ShardReport | { readonly error: string };
  readonly availability: Availability;
  readonly recovery: Recovery;
  readonly nemesisLog: readonly NemesisLogEntry[];
  readonly nemesisErrors: readonly string[];
  readonly reconcileFixes: readonly string[];
}

type Counts = Record<string, Record<string, { ok: number; fail: number; info: number }>>;

function countOps(ops: readonly OpRecord[]): Counts {
  const counts: Counts = {};
  for (const op of ops) {
    const byF = (counts[op.workload] ??= {});
    const c = (byF[op.f] ??= { ok: 0, fail: 0, info: 0 });
    c[op.outcome] += 1;
  }
  return counts;
}

/** What makes the run fail, in words; empty when every check passed. */
export function violations(facts: RunFacts): string[] {
  const found: string[] = [];
  const lin = facts.linearizability;
  if (lin.valid === false) found.push(`history not linearizable on ${lin.failingKeys.length} key(s): ${lin.failingKeys.map((k) => k.key).slice(0, 5).join(', ')}`);
  if (facts.set !== undefined && facts.set.lost.length > 0) found.push(`set: ${facts.set.lost.length} acknowledged add(s) lost`);
  if (facts.set !== undefined && facts.set.unexpected.length > 0) found.push(`set: ${facts.set.unexpected.length} element(s) present that were never (successfully) added`);
  for (const error of facts.finalReadErrors ?? []) found.push(`final read failed after the heal: ${error}`);
  if (facts.bank !== undefined && !facts.bank.valid) found.push(`bank: ${facts.bank.badReads.length} read(s) broke the total of ${facts.bank.expectedTotal}`);
  const failedRepair = facts.reconcileFixes.find((fix) => fix.startsWith('FAILED'));
  if (failedRepair !== undefined) found.push(`could not make every node a running voter after the heal: ${failedRepair}`);
  if (!facts.recovery.ok) found.push(`no acknowledged write within ${facts.options.recoveryBoundS} s of the final heal (${facts.recovery.error ?? ''})`);
  return found;
}

export function buildResults(facts: RunFacts): Record<string, unknown> {
  const applied = facts.nemesisLog.filter((e) => e.action === 'start' && e.note === undefined).length;
  const skipped = facts.nemesisLog.filter((e) => e.note?.startsWith('skipped') === true).length;
  const verdict: Verdict = facts.linearizability.valid;
  const { options } = facts;
  return {
    seed: options.seed, mode: facts.mode, nodes: options.nodes, groups: options.groups, replicas: options.groups > 0 ? options.replicas : null, timeS: options.timeS, nemeses: options.nemeses,
    workloads: options.workloads, concurrency: options.concurrency, startedAt: facts.startedAt, durationS: facts.durationS,
    ops: { total: facts.ops.length, byWorkload: countOps(facts.ops) },
    infoCount: facts.ops.filter((op) => op.outcome === 'info').length,
    verdicts: {
      linearizable: verdict,
      set: facts.set === undefined ? null : facts.set.valid,
      bank: facts.bank === undefined ? null : facts.bank.valid,
      recovered: facts.recovery.ok,
    },
    linearizability: { ...facts.linearizability, firstTimeline: undefined },
    lostAcknowledgedWrites: facts.set?.lost.length ?? 0,
    set: facts.set === undefined ? null : { ...facts.set, lost: facts.set.lost.slice(0, 100), unexpected: facts.set.unexpected.slice(0, 100) },
    bank: facts.bank === undefined ? null : { ...facts.bank, badReads: facts.bank.badReads.slice(0, 100) },
    availability: facts.availability,
    recovery: facts.recovery,
    finalReadErrors: facts.finalReadErrors ?? [],
    shards: facts.shards ?? null,
    nemesis: { applied, skipped, errors: facts.nemesisErrors, reconcileFixes: facts.reconcileFixes },
    violations: violations(facts),
  };
}

const pct = (share: { availability: number | null; ops: number }): string =>
  share.availability === null ? 'n/a' : `${(share.availability * 100).toFixed(1)}% of ${share.ops}`;

export function summaryText(facts: RunFacts, runDir: string): string {
  const lines: string[] = [];
  const info = facts.ops.filter((op) => op.outcome === 'info').length;
  const ok = facts.ops.filter((op) => op.outcome === 'ok').length;
  const { groups, replicas } = facts.options;
  const shards = groups > 0 ? `, ${groups} groups x ${replicas} replicas` : '';
  const secure = facts.options.secure ? ', TLS + mTLS + auth' : '';
  lines.push(`run ${runDir} (${facts.mode}, ${facts.options.nodes} nodes${shards}${secure}, seed ${facts.options.seed}, ${facts.durationS.toFixed(0)} s)`);
  lines.push(`ops: ${facts.ops.length} (${ok} ok, ${info} info, ${facts.ops.length - ok - info} fail)`);
  lines.push(`availability: quiet ${pct(facts.availability.quiet)}, faulted ${pct(facts.availability.faulted)}`);
  for (const [kind, share] of Object.entries(facts.availability.byNemesis)) lines.push(`  during ${kind}: ${pct(share)}`);
  const lin = facts.linearizability;
  lines.push(`linearizability: ${lin.valid === true ? 'valid' : lin.valid === false ? 'NOT LINEARIZABLE' : 'UNKNOWN'} (${lin.operations} ops, ${lin.keys} keys)`);
  if (facts.set !== undefined) lines.push(`set: ${facts.set.acknowledged} acknowledged, ${facts.set.lost.length} lost, ${facts.set.unexpected.length} unexpected`);
  if (facts.bank !== undefined) lines.push(`bank: ${facts.bank.reads} reads, ${facts.bank.transfersApplied} transfers, ${facts.bank.badReads.length} bad reads, final ${facts.bank.finalBalances.join('+')}`);
  const report = facts.shards;
  if (report !== undefined && 'error' in report) lines.push(`shards: cannot read the map after the run (${report.error})`);
  else if (report !== undefined) {
    const unsettled = report.unsettled.length === 0 ? 'all settled' : `${report.unsettled.length} unsettled: ${report.unsettled.slice(0, 3).join('; ')}`;
    lines.push(`shards: epoch ${report.epoch}, ${report.groups} groups, ${report.mapRefreshes} map fetches by clients, ${unsettled}`);
  }
  lines.push(`recovery after heal: ${facts.recovery.ok ? `${facts.recovery.ms ?? 0} ms` : `FAILED (${facts.recovery.error ?? ''})`}`);
  if (facts.nemesisErrors.length > 0) lines.push(`nemesis steps that failed: ${facts.nemesisErrors.length} (see results.json)`);
  const found = violations(facts);
  lines.push(found.length === 0 ? 'verdict: PASS' : `verdict: FAIL\n  ${found.join('\n  ')}`);
  if (lin.firstTimeline !== undefined) lines.push(`\nfirst failing key:\n${lin.firstTimeline}`);
  return lines.join('\n');
}
