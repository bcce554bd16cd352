/**
 * The KV state machine of one group. `apply` runs a batch of committed entries in ONE transaction
 * that also writes the group's applied index (and membership, revision and clock): after a crash
 * either the whole batch and its applied index are on disk or none of it, so no entry is ever
 * applied twice or half.
 *
 * Exactly-once (Raft thesis §6.3): a command may carry (session, seq). The state machine keeps each
 * session's last seq and result; a command with that same seq gets the stored result back without
 * being applied again. A seq below it is refused (its result is gone; clients keep one command in
 * flight per session). A session is created by its first command, which must have seq 1, so a
 * session that expired cannot be silently recreated by a later retry (that retry is refused).
 * Sessions idle for longer than `sessionTtlMs` of leader time expire; leader time comes from the
 * commands themselves, so every replica expires the same sessions at the same index.
 */
import type { InitialState } from '../raft/bootstrap.js';
import { assert } from '../shared/assert.js';
import type { GroupId, LogIndex } from '../shared/ids.js';
import type { KvError } from '../shared/errors.js';
import { applyConfChange, decodeConfChange } from '../raft/conf-change.js';
import type { ConfState, LogEntry } from '../raft/types.js';
import { hasApplyState, isInstalling, readApplyState, withClockAndRevision, writeApplyState, type ApplyState, type RingBounds } from './apply-state.js';
import { applySplit } from './split-apply.js';
import type { StorageDatabase } from './database.js';
import { executeCommand } from './kv-apply.js';
import { validateRangeQuery, type KvCommand, type KvCommandBody, type SplitCommand } from './kv-command.js';
import { decodeKvCommand, isHashCheck } from './kv-command-codec.js';
import { decodeCommandResult, encodeCommandResult } from './kv-result-codec.js';
import { KvTable } from './kv-table.js';
import type { AppliedEntry, CommandResult, GetResult, KeyRange, KeyValue, RangeQuery, RangeResult } from './kv-types.js';
import { SessionTable } from './session-table.js';
import { StateHashes } from './state-hash.js';

export interface KvStateMachineOptions {
  /** Replicated: every replica must use the same value. Idle time after which a session expires. */
  readonly sessionTtlMs: number;
  /** Replicated. Sessions kept per group; past it the least recently seen is evicted. */
  readonly sessionsMax: number;
  /** A key's ring position (src/shard/hash-ring.ts); absent on an unsharded node, where no group has a range. */
  readonly ringPosition?: (key: Uint8Array) => number;
}

type Applied = Omit<AppliedEntry, 'index'>;

export class KvStateMachine {
  private state: ApplyState;
  private installing: boolean;
  private readonly table: KvTable;
  private readonly sessions: SessionTable;
  /** Hashes of the applied state at the hashCheck entries applied here (consistency check). */
  readonly hashes: StateHashes;

  constructor(
    private readonly db: StorageDatabase,
    readonly group: GroupId,
    private readonly initial: InitialState,
    private readonly options: KvStateMachineOptions,
    /** The range a founding data group starts with; null for the meta group or when unsharded. */
    private readonly initialRange: RingBounds | null = null,
  ) {
    assert(Number.isSafeInteger(options.sessionTtlMs) && options.sessionTtlMs > 0, 'sessionTtlMs must be positive');
    assert(Number.isSafeInteger(options.sessionsMax) && options.sessionsMax > 0, 'sessionsMax must be positive');
    this.table = new KvTable(db, group);
    this.sessions = new SessionTable(db, group);
    this.hashes = new StateHashes(db.path, group);
    this.state = readApplyState(db, group, initial, initialRange);
    this.installing = isInstalling(db, group);
  }

  /** Re-reads the applied state: after a snapshot install changed it underneath. */
  reload(): void {
    this.state = readApplyState(this.db, this.group, this.initial, this.initialRange);
    this.installing = isInstalling(this.db, this.group);
    this.sessions.forget(); // An install replaces the session rows too.
    this.hashes.clear();
  }

  appliedIndex(): LogIndex {
    return this.state.applied;
  }
  confState(): ConfState {
    return this.state.conf;
  }
  revision(): number {
    return this.state.revision;
  }
  /** The ring range this group owns, or null when it is not a data group of a sharded cluster. */
  descriptor(): RingBounds | null {
    return this.state.range;
  }

  /** Whether `key` belongs to this group's range (always, for a group without one). */
  owns(key: Uint8Array): boolean {
    return this.rangeHolds(this.state.range, key);
  }

  /** Whether every point key of `command` is in `range`; no key list to build when there is no range. */
  private ownsKeysOf(command: KvCommandBody, range: RingBounds | null): boolean {
    if (range === null || this.options.ringPosition === undefined) return true;
    return commandKeys(command).every((key) => this.rangeHolds(range, key));
  }

  private rangeHolds(range: RingBounds | null, key: Uint8Array): boolean {
    if (range === null || this.options.ringPosition === undefined) return true;
    const position = this.options.ringPosition(key);
    return position >= range.start && position < range.end;
  }

  /** Writes the initial applied state if none is on disk, so snapshots carry the group's range. */
  persistInitialState(): void {
    if (hasApplyState(this.db, this.group)) return;
    this.db.transaction(() => writeApplyState(this.db, this.group, this.state));
  }

  /** True while a snapshot install is under way: no reads, no applies until it finishes. */
  isInstalling(): boolean {
    return this.installing;
  }

  /**
   * Applies committed entries (next after the applied index, contiguous) in one transaction, or
   * in one per run ending with a hashCheck entry: the state is hashed as of that entry's commit.
   */
  apply(entries: readonly LogEntry[]): AppliedEntry[] {
    assert(!this.installing, `Cannot apply to group ${this.group}: a snapshot install is under way`);
    entries.forEach((entry, i) => {
      assert(entry.index === this.state.applied + 1 + i, `apply() got entry ${entry.index}, expected ${this.state.applied + 1 + i}`);
    });
    const applied: AppliedEntry[] = [];
    let from = 0;
    for (const [i, entry] of entries.entries()) {
      if (entry.type !== 'normal' || !isHashCheck(entry.data)) continue;
      applied.push(...this.applyRun(entries.slice(from, i + 1)));
      this.hashes.startAt(entry.index);
      from = i + 1;
    }
    if (from < entries.length) applied.push(...this.applyRun(entries.slice(from)));
    return applied;
  }

  private applyRun(entries: readonly LogEntry[]): AppliedEntry[] {
    const last = entries[entries.length - 1];
    if (last === undefined) return [];
    let next = this.state;
    // No fsync here: the entries are already durable in the log (persisted, with the commit
    // index, before they were handed out for applying), and the applied index is written in this
    // same transaction. If a power loss drops this commit, the node restarts with the older
    // applied index and applies the same entries again from its log, deterministically; the
    // next synced commit (the next persist) makes this one durable too, since the WAL is
    // sequential. A process crash loses nothing: the commit is in the OS's page cache.
    let applied: AppliedEntry[];
    try {
      applied = this.db.transactionUnsynced(() => {
        const results = entries.map((entry): AppliedEntry => {
          const { state, outcome } = this.applyEntry(entry, next);
          next = state;
          return { index: entry.index, result: outcome.result, duplicate: outcome.duplicate };
        });
        next = { ...next, applied: last.index };
        writeApplyState(this.db, this.group, next);
        return results;
      });
    } catch (error) {
      // The rollback brought back any sessions this batch expired: the cached bound is wrong now.
      this.sessions.forget();
      throw error;
    }
    // Memory follows only once the transaction committed; a throw above leaves it as it was.
    this.state = next;
    return applied;
  }

  get(key: Uint8Array): GetResult {
    assert(!this.installing, `Cannot read group ${this.group}: a snapshot install is under way`);
    assert(key.byteLength > 0, 'get() of an empty key');
    return { kv: this.table.get(key), revision: this.state.revision };
  }

  /** Keys in byte order; the server validates the query first (validateRangeQuery). */
  range(query: RangeQuery): RangeResult {
    assert(!this.installing, `Cannot read group ${this.group}: a snapshot install is under way`);
    const invalid = validateRangeQuery(query);
    assert(invalid === null, `range() with an invalid query: ${invalid?.message ?? ''}`);
    return { ...this.table.range(query), revision: this.state.revision };
  }

  /** A bounded step of a paged Range (src/server/range-page.ts): see KvTable.rows. */
  rows(range: KeyRange, after: Uint8Array | null, page: { readonly rowsMax: number; readonly bytesMax: number; readonly keysOnly: boolean }): { kvs: KeyValue[]; more: boolean } {
    assert(!this.installing, `Cannot read group ${this.group}: a snapshot install is under way`);
    return this.table.rows(range, after, page);
  }

  /** A bounded step of counting a range: see KvTable.countStep. */
  countStep(range: KeyRange, from: Uint8Array | null, rowsMax: number): { counted: number; next: Uint8Array | null } {
    assert(!this.installing, `Cannot read group ${this.group}: a snapshot install is under way`);
    return this.table.countStep(range, from, rowsMax);
  }

  private applyEntry(entry: LogEntry, state: ApplyState): { state: ApplyState; outcome: Applied } {
    if (entry.type === 'confChange') {
      const conf = applyConfChange(state.conf, decodeConfChange(entry.data));
      return { state: { ...state, conf }, outcome: { result: { type: 'confChange', conf }, duplicate: false } };
    }
    if (entry.data.byteLength === 0) {
      return { state, outcome: { result: { type: 'noop', revision: state.revision }, duplicate: false } };
    }
    const decoded = decodeKvCommand(entry.data);
    if (!decoded.ok) return { state, outcome: { result: errorResult(decoded.error), duplicate: false } };
    const command = decoded.value;
    if (command.type === 'split') return this.applySplitEntry(command, state);
    // Changes nothing, not even the clock: a replica caught up by snapshot must hash alike.
    if (command.type === 'hashCheck') return { state, outcome: { result: { type: 'noop', revision: state.revision }, duplicate: false } };
    return this.applyCommand(command, state);
  }

  private applySplitEntry(command: SplitCommand, before: ApplyState): { state: ApplyState; outcome: Applied } {
    const positionOf = this.options.ringPosition;
    if (positionOf === undefined) return { state: before, outcome: { result: refusal('split', 'Cannot split: this group has no ring range'), duplicate: false } };
    if (command.child === this.group) return { state: before, outcome: { result: refusal('split', `Cannot split group ${this.group} into itself`), duplicate: false } };
    const { state, childBorn } = applySplit(this.db, this.group, command, before, positionOf);
    return { state, outcome: { result: { type: 'split', revision: state.revision, child: command.child, born: childBorn }, duplicate: false } };
  }

  private applyCommand(command: KvCommand, before: ApplyState): { state: ApplyState; outcome: Applied } {
    const clockMs = Math.max(before.clockMs, command.timeMs);
    const state = withClockAndRevision(before, clockMs, before.revision);
    this.sessions.expireIdle(clockMs - this.options.sessionTtlMs);
    const session = command.session;
    const seen = session === undefined ? null : this.sessions.find(session.id);
    if (session !== undefined) {
      const refusal = this.checkSession(session.id, session.seq, seen, clockMs);
      if (refusal !== null) return { state, outcome: refusal };
    }
    // After the session check: a retry of a command that applied before the split gets its result.
    // The range as of this entry (`state`), not as of the last batch: a split earlier in the same
    // batch has already cut it, and every replica must decide alike however its batches fall.
    if (!this.ownsKeysOf(command, state.range)) return { state, outcome: { result: this.wrongShard(state.range), duplicate: false } };
    const executed = executeCommand(this.table, command, state.revision);
    assert(executed.revision >= state.revision, 'Revision moved back');
    if (session !== undefined) {
      this.sessions.record(session.id, session.seq, encodeCommandResult(executed.result), clockMs);
      if (seen === null) this.sessions.evictOverflow(this.options.sessionsMax);
    }
    return { state: withClockAndRevision(state, clockMs, executed.revision), outcome: { result: executed.result, duplicate: false } };
  }

  private wrongShard(range: RingBounds | null): CommandResult {
    const owned = range === null ? 'no range' : `ring range [${range.start}, ${range.end})`;
    return { type: 'error', code: 'WRONG_SHARD', message: `Cannot apply command: a key is outside group ${this.group}'s ${owned} since a split; refresh the shard map`, field: null };
  }

  /** The outcome instead of applying, for a duplicate or a refused (session, seq); null to apply. */
  private checkSession(id: string, seq: number, seen: { seq: number; result: Uint8Array } | null, nowMs: number): Applied | null {
    if (seen !== null && seq === seen.seq) {
      this.sessions.touch(id, nowMs);
      return { result: decodeCommandResult(seen.result), duplicate: true };
    }
    if (seen !== null && seq < seen.seq) {
      return { result: refusal('seq', `Cannot apply command: seq ${seq} is below the session's last applied seq ${seen.seq}`), duplicate: false };
    }
    if (seen === null && seq !== 1) {
      return { result: refusal('session', `Cannot apply command: session is unknown or expired and seq ${seq} is not 1`), duplicate: false };
    }
    return null;
  }
}

/** Point keys a command reads or writes (ranges are bounded by the rows the group holds). */
function commandKeys(command: KvCommandBody): Uint8Array[] {
  switch (command.type) {
    case 'put':
    case 'delete':
      return [command.key];
    case 'batchPut':
      return command.items.map((item) => item.key);
    case 'txn':
      return [...command.compares.map((c) => c.key), ...[...command.success, ...command.failure].flatMap((op) => (op.type === 'range' ? [] : [op.key]))];
    case 'deleteRange':
    case 'split':
    case 'hashCheck':
      return [];
  }
}

function errorResult(error: KvError): CommandResult {
  return { type: 'error', code: error.code, message: error.message, field: error.details.field ?? null };
}

function refusal(field: string, message: string): CommandResult {
  return { type: 'error', code: 'INVALID_ARGUMENT', message, field };
}
