/**
 * Raft as a synchronous, deterministic state machine (Ongaro's thesis; etcd-raft's shape).
 * Inputs: tick(), step(message), propose(), readIndex(), transferLeadership(), proposeConfChange().
 * Outputs: a Ready the caller drains (see ready.ts for the order it must honour), then advance().
 * No clocks, timers, randomness or I/O here: time is ticks, randomness is the injected Rng.
 *
 * This file holds the state, the public surface, role transitions and message dispatch. Leader-side
 * replication lives in replication.ts, elections in election.ts; both operate on this class.
 */
import { assert } from '../shared/assert.js';
import { logIndex, term as toTerm, type LogIndex, type NodeId, type Term } from '../shared/ids.js';
import { validateConfig, type RaftConfig } from './config.js';
import { applyConfChange, checkConfChange, decodeConfChange, encodeConfChange } from './conf-change.js';
import type { CoreLogger } from './logger.js';
import type { RaftMessage } from './messages.js';
import { Progress } from './progress.js';
import { RaftLog } from './raft-log.js';
import { ReadIndexTracker } from './read-index.js';
import type { CoreError, CoreErrorCode, CoreResult, Proposed, Ready } from './ready.js';
import type { ConfChange, ConfState, HardState, LogEntry, ReadState, Role, SnapshotChunk, SoftState } from './types.js';
import { entryBytes } from './log-reader.js';
import { splitBySendOrder } from './send-order.js';
import * as election from './election.js';
import * as replication from './replication.js';
import * as follower from './follower.js';
import * as quiescence from './quiescence.js';

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly term: Term;
  readonly leader: NodeId | null;
  readonly vote: NodeId | null;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly firstIndex: LogIndex;
  readonly conf: ConfState;
  readonly progress: ReadonlyMap<NodeId, { match: number; next: number; state: string }>;
}

/** Messages bounded per Ready so a flood of input cannot grow memory without limit. */
const MESSAGES_PER_READY_MAX = 100_000;

export class RaftNode {
  readonly id: NodeId;
  /** @internal Shared with election.ts, replication.ts and follower.ts. */
  readonly cfg: RaftConfig;
  readonly log: RaftLog;
  readonly logger: CoreLogger;

  term: Term;
  vote: NodeId | null;
  role: Role = 'follower';
  leader: NodeId | null = null;
  conf: ConfState;
  /**
   * The log position `conf` is as of: the last applied membership change, or the snapshot that
   * replaced the log. A snapshot can arrive while a Ready with older committed entries is out;
   * advance() must not replay their changes on top of the snapshot's membership (seed 5350).
   */
  confIndex: LogIndex;

  /** Ticks since the last valid leader contact (follower) or since the last quorum check (leader). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  /** Ticks since this process started the core (only counted up to the election timeout). */
  ticksSinceStart = 0;
  /** The group is idle and silent (quiescence.ts); idleTicks counts a leader's idle time. */
  quiesced = false;
  idleTicks = 0;
  randomizedElectionTicks = 0;
  /**
   * The term at the start of the current election timeout and the ticks since: no message may
   * take this node past `termWindowBase + TERM_RISE_PER_WINDOW_MAX` (election.ts, handleTerm).
   */
  termWindowBase: Term;
  termWindowTicks = 0;

  /** Leader only. */
  progress = new Map<NodeId, Progress>();
  reads = new ReadIndexTracker();
  /** Reads that arrived before this leader committed an entry of its term (thesis §6.4 step 1). */
  readsAwaitingCommit: { requestId: string; from: NodeId }[] = [];
  leadTransferee: NodeId | null = null;
  /** Index of the latest membership change this leader proposed; none may follow until it applies. */
  pendingConfIndex: LogIndex = logIndex(0);
  /** (index, bytes) of entries appended by this leader and not yet committed, for OVERLOADED. */
  uncommitted: [LogIndex, number][] = [];
  uncommittedBytes = 0;
  /** New entries or a new commit index must go out to followers when the Ready is taken. */
  broadcastPending = false;
  /** Leader lease (see replication.ts, leaseRead): ticks led, when each heartbeat round left, expiry. */
  leaderTicks = 0;
  roundSentAt = new Map<number, number>();
  leaseExpiresAtTick = 0;
  /** A transfer lets the target campaign through followers' leases: no lease reads for the rest of the term. */
  transferStartedThisTerm = false;

  /** Candidate and pre-candidate only. */
  votes = new Map<NodeId, boolean>();

  /**
   * Follower and pre-candidate: reads forwarded to `termLeader`, answered by readIndexReply.
   * Invariant: empty unless termLeader is set (every one went to that node in this term).
   */
  forwardedReads = new Set<string>();
  /**
   * The leader of the current term as this node last heard of it, kept while `leader` is null
   * during a pre-vote: a pre-vote changes neither the term nor who leads it (thesis §9.6), so
   * forwarded reads keep waiting for that leader's answer. Cleared when the term changes.
   */
  termLeader: { readonly id: NodeId; readonly term: Term } | null = null;
  /** Follower only: an InstallSnapshot transfer being received. */
  receivingSnapshot: { index: LogIndex; offset: number } | null = null;

  messages: RaftMessage[] = [];
  readStates: ReadState[] = [];
  readsDropped: string[] = [];
  readsRefused: string[] = [];
  snapshotChunk: SnapshotChunk | null = null;

  private prevHardState: HardState;
  private prevSoftState: SoftState;
  private readyInFlight: Ready | null = null;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.cfg = config;
    this.id = config.id;
    this.logger = config.logger;
    this.log = new RaftLog(config.storage, config.applied);
    const hard = config.storage.hardState();
    this.term = hard.term;
    this.vote = hard.vote;
    this.termWindowBase = hard.term;
    this.conf = config.confState;
    this.confIndex = config.applied;
    this.prevHardState = this.hardState();
    this.prevSoftState = this.softState();
    this.resetElectionTimer();
  }

  // ---- Public surface -------------------------------------------------------------------------

  tick(): void {
    if (this.ticksSinceStart < this.cfg.electionTicks) this.ticksSinceStart++;
    if (++this.termWindowTicks >= this.cfg.electionTicks) {
      this.termWindowTicks = 0;
      this.termWindowBase = this.term;
    }
    if (this.role === 'leader') replication.tickLeader(this);
    else election.tickElection(this);
  }

  /**
   * `count` ticks the runtime could not deliver on time: its event loop was stalled (GC, SIGSTOP,
   * overload). They run out the leader lease, which safety needs (replication.ts, leaseRead), but
   * do not count as election time. The messages that arrived during the stall are still unread: a
   * follower counting the stall would campaign before reading its leader's heartbeats, and a
   * leader would fail CheckQuorum before reading its followers' replies (issue #14). etcd's ticker
   * drops missed ticks the same way. Timers that count less time cost liveness, never safety: a
   * voter refuses votes for longer, and the lease is measured by leaderTicks, which count it all.
   */
  tickStalled(count: number): void {
    if (this.role === 'leader') this.leaderTicks += count;
  }

  step(message: RaftMessage): void {
    assert(message.to === this.id, `Message for ${message.to} stepped into ${this.id}`);
    if (message.from === this.id) return;
    // Before the term rules, which may drop the message: a quiet leader that silently ignored a
    // member's vote requests (it is inside its own lease) would never speak again (seed 4501).
    quiescence.observed(this, message);
    if (!election.handleTerm(this, message)) return;
    if (this.role !== 'leader') quiescence.followerObserved(this, message);
    switch (message.type) {
      case 'requestVote':
        election.handleRequestVote(this, message);
        return;
      case 'requestVoteReply':
        election.handleVoteReply(this, message);
        return;
      default:
        if (this.role === 'leader') replication.stepLeader(this, message);
        else follower.stepFollower(this, message);
    }
  }

  propose(data: Uint8Array): CoreResult<Proposed> {
    quiescence.wake(this);
    if (data.byteLength === 0) return this.fail('INVALID_ARGUMENT', 'Cannot propose an empty command');
    return this.appendAsLeader('normal', data);
  }

  proposeConfChange(change: ConfChange): CoreResult<Proposed> {
    quiescence.wake(this);
    if (this.role !== 'leader') return this.notLeader();
    if (this.pendingConfIndex > this.log.applied) {
      return this.fail('BUSY', `Cannot change membership: change at index ${this.pendingConfIndex} is not applied yet`);
    }
    if (this.log.term(this.log.committed) !== this.term) {
      return this.fail('BUSY', 'Cannot change membership: this leader has not committed an entry of its term yet');
    }
    const problem = checkConfChange(this.conf, change);
    if (problem !== null) return this.fail('INVALID_ARGUMENT', `Cannot change membership: ${problem}`);
    const result = this.appendAsLeader('confChange', encodeConfChange(change));
    if (result.ok) this.pendingConfIndex = logIndex(result.value.index);
    return result;
  }

  readIndex(requestId: string): CoreResult<void> {
    quiescence.wake(this);
    if (this.role === 'leader') return replication.leaderReadIndex(this, requestId, this.id);
    const to = this.readLeader();
    if (to === null) return this.fail('NO_LEADER', 'Cannot serve a linearizable read: no leader known');
    this.forwardedReads.add(requestId);
    this.send({ type: 'readIndexRequest', from: this.id, to, term: this.term, requestId });
    return { ok: true, value: undefined };
  }

  /**
   * A read served from the leader lease, without a heartbeat round: the commit index if the lease
   * holds, else BUSY (the caller falls back to readIndex). See replication.ts for the assumption.
   */
  leaseRead(): CoreResult<LogIndex> {
    return replication.leaseRead(this);
  }

  transferLeadership(to: NodeId): CoreResult<void> {
    quiescence.wake(this);
    if (this.role !== 'leader') return this.notLeader();
    if (to === this.id) return this.fail('INVALID_ARGUMENT', `Node ${to} is already the leader`);
    if (!this.conf.voters.includes(to)) return this.fail('INVALID_ARGUMENT', `Cannot transfer leadership to ${to}: not a voter`);
    replication.startTransfer(this, to);
    return { ok: true, value: undefined };
  }

  isQuiesced(): boolean {
    return this.quiesced;
  }

  /** The runtime lost contact with the leader's node (or wants the group awake): resume timers. */
  unquiesce(): void {
    quiescence.wake(this);
  }

  hasReady(): boolean {
    if (this.readyInFlight !== null) return false;
    return (
      this.broadcastPending ||
      this.messages.length > 0 ||
      this.log.unstableEntries().length > 0 ||
      this.snapshotChunk !== null ||
      this.log.committed > this.log.applying ||
      this.readStates.length > 0 ||
      this.readsDropped.length > 0 ||
      this.readsRefused.length > 0 ||
      !sameHardState(this.hardState(), this.prevHardState) ||
      !sameSoftState(this.softState(), this.prevSoftState)
    );
  }

  takeReady(): Ready | undefined {
    if (this.role === 'leader') replication.flushBroadcasts(this);
    if (!this.hasReady()) return undefined;
    const hard = this.hardState();
    const soft = this.softState();
    const entriesToApply = this.log.nextEntriesToApply(this.cfg.appendBytesMax * 4);
    // prevHardState is durable here: the caller persisted the last Ready before advance().
    const { early, late } = splitBySendOrder(this.messages, this.prevHardState.term);
    const ready: Ready = {
      ...(sameSoftState(soft, this.prevSoftState) ? {} : { softState: soft }),
      ...(sameHardState(hard, this.prevHardState) ? {} : { hardState: hard }),
      entriesToPersist: [...this.log.unstableEntries()],
      ...(this.snapshotChunk === null ? {} : { snapshotChunk: this.snapshotChunk }),
      earlyMessages: early,
      messages: late,
      entriesToApply,
      readStates: this.readStates,
      readsDropped: this.readsDropped,
      readsRefused: this.readsRefused,
    };
    const lastApply = entriesToApply[entriesToApply.length - 1];
    if (lastApply !== undefined) this.log.applying = lastApply.index;
    this.prevHardState = hard;
    this.prevSoftState = soft;
    this.messages = [];
    this.readStates = [];
    this.readsDropped = [];
    this.readsRefused = [];
    this.snapshotChunk = null;
    this.readyInFlight = ready;
    return ready;
  }

  advance(ready: Ready): void {
    assert(ready === this.readyInFlight, 'advance() called with a Ready that is not in flight');
    this.readyInFlight = null;
    const lastPersisted = ready.entriesToPersist[ready.entriesToPersist.length - 1];
    if (lastPersisted !== undefined) this.log.stableTo(lastPersisted.index, lastPersisted.term);
    if (ready.snapshotChunk?.done === true) this.log.snapshotInstalled(ready.snapshotChunk.meta);
    for (const entry of ready.entriesToApply) {
      this.log.appliedTo(entry.index);
      if (entry.type === 'confChange' && entry.index > this.confIndex) this.applyConf(entry.index, decodeConfChange(entry.data));
    }
    if (this.role === 'leader') replication.selfPersisted(this);
  }

  status(): RaftStatus {
    const progress = new Map<NodeId, { match: number; next: number; state: string }>();
    for (const [id, pr] of this.progress) progress.set(id, { match: pr.match, next: pr.next, state: pr.state });
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      leader: this.leader,
      vote: this.vote,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      firstIndex: this.log.firstIndex(),
      conf: this.conf,
      progress,
    };
  }

  // ---- Hooks: the rules a mutation test may break in a subclass ------------------------------

  /** Thesis §3.6.2: a leader commits only entries of its own term by counting replicas. */
  protected canCommitAt(index: LogIndex): boolean {
    return this.log.term(index) === this.term;
  }

  /** Thesis §3.6.1: vote only for a candidate whose log is at least as up to date as ours. */
  protected isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    return this.log.isUpToDate(lastIndex, lastTerm);
  }

  /** Thesis §6.4: a read needs a heartbeat round unless this node is the only voter. */
  protected readNeedsHeartbeatRound(): boolean {
    return !(this.conf.voters.length === 1 && this.conf.voters[0] === this.id);
  }

  /** @internal Entry points to the hooks for the sibling modules. */
  hooks(): { canCommitAt: (i: LogIndex) => boolean; isUpToDate: (i: LogIndex, t: Term) => boolean; readNeedsRound: () => boolean } {
    return {
      canCommitAt: (i) => this.canCommitAt(i),
      isUpToDate: (i, t) => this.isUpToDate(i, t),
      readNeedsRound: () => this.readNeedsHeartbeatRound(),
    };
  }

  // ---- Role transitions -----------------------------------------------------------------------

  /**
   * `resetTimer` is false when a vote request raised our term: only a leader's message or a vote
   * we grant restarts the election timer (thesis Figure 3.1). Otherwise a stale candidate with a
   * fast clock keeps resetting the nodes that could win, and no election ever completes.
   */
  becomeFollower(term: Term, leader: NodeId | null, resetTimer = true): void {
    const wasLeader = this.role === 'leader';
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
    }
    if (this.role !== 'follower' || this.leader !== leader) {
      this.logger.info({ term, leader, role: 'follower' }, 'became follower');
    }
    const wasFollower = this.role === 'follower';
    this.role = 'follower';
    this.resetLeaderState(wasLeader);
    this.setLeader(leader);
    if (resetTimer || !wasFollower) this.resetElectionTimer();
  }

  becomePreCandidate(): void {
    this.role = 'preCandidate';
    this.resetLeaderState(false);
    this.setLeader(null);
    this.votes = new Map([[this.id, true]]);
    this.logger.info({ term: this.term, role: 'preCandidate' }, 'became pre-candidate');
  }

  becomeCandidate(): void {
    this.role = 'candidate';
    this.term = toTerm(this.term + 1);
    this.vote = this.id;
    this.resetLeaderState(false);
    this.setLeader(null);
    this.votes = new Map([[this.id, true]]);
    this.resetElectionTimer();
    this.logger.info({ term: this.term, role: 'candidate' }, 'became candidate');
  }

  becomeLeader(): void {
    assert(this.role === 'candidate', `Only a candidate may become leader, not a ${this.role}`);
    this.role = 'leader';
    this.setLeader(this.id);
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.progress = new Map();
    for (const id of [...this.conf.voters, ...this.conf.learners]) this.addProgress(id);
    // No change may be proposed until everything before this term is applied (conf-change.ts, (b)).
    this.pendingConfIndex = this.log.lastIndex();
    this.logger.info({ term: this.term, role: 'leader', index: this.log.lastIndex() }, 'became leader');
    // Thesis §3.6.2 / §6.4: a no-op of the new term lets earlier entries commit and reads start.
    const noop = this.appendAsLeader('normal', new Uint8Array(0));
    assert(noop.ok, 'A new leader must be able to append its no-op');
  }

  // ---- Helpers shared with the sibling modules ------------------------------------------------

  send(message: RaftMessage): void {
    if (this.messages.length >= MESSAGES_PER_READY_MAX) return; // Dropped; Raft retries.
    this.messages.push(message);
  }

  /**
   * Whether this node may campaign: a voter whose log reaches its vote floor (config.ts). Below
   * the floor it is a replica recreated after deletion that may still count itself a voter of an
   * old configuration; its own vote for itself would be as unsafe as its vote for anyone.
   */
  isPromotable(): boolean {
    return this.conf.voters.includes(this.id) && this.log.lastIndex() >= (this.cfg.voteFloor ?? 0);
  }

  resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.randomizedElectionTicks = this.cfg.electionTicks + this.cfg.rng.nextInt(this.cfg.electionTicks);
  }

  addProgress(id: NodeId): void {
    const pr = new Progress(logIndex(this.log.lastIndex() + 1), this.conf.learners.includes(id), this.cfg.inflightMessagesMax);
    if (id === this.id) pr.maybeUpdate(this.log.persistedIndex());
    pr.recentActive = true; // Give every member a full election timeout before CheckQuorum counts it.
    this.progress.set(id, pr);
  }

  fail(code: CoreErrorCode, message: string): { ok: false; error: CoreError } {
    return { ok: false, error: { code, message, leader: this.leader, term: this.term } };
  }

  notLeader(): { ok: false; error: CoreError } {
    if (this.leader === null) return this.fail('NO_LEADER', 'No leader is known for this group');
    return this.fail('NOT_LEADER', `Node ${this.id} is not the leader: node ${this.leader} is`);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { role: this.role, leader: this.leader, term: this.term };
  }

  private appendAsLeader(type: LogEntry['type'], data: Uint8Array): CoreResult<Proposed> {
    if (this.role !== 'leader') return this.notLeader();
    if (this.leadTransferee !== null) {
      return this.fail('BUSY', `Cannot propose: leadership is moving to node ${this.leadTransferee}`);
    }
    const entry: LogEntry = { index: logIndex(this.log.lastIndex() + 1), term: this.term, type, data };
    const bytes = entryBytes(entry);
    if (data.byteLength > 0 && this.uncommittedBytes + bytes > this.cfg.uncommittedBytesMax) {
      return this.fail('OVERLOADED', `Cannot propose: ${this.uncommittedBytes} uncommitted bytes reach the bound of ${this.cfg.uncommittedBytesMax}`);
    }
    this.log.append([entry]);
    this.uncommitted.push([entry.index, bytes]);
    this.uncommittedBytes += bytes;
    this.broadcastPending = true;
    return { ok: true, value: { index: entry.index, term: entry.term } };
  }

  /**
   * Where a read is forwarded: the known leader, or during a pre-vote the leader of this term. Only
   * that node can confirm a read of this term; if it lost its lead it refuses (stepFollower), and
   * if it is gone the read waits for its deadline or until the term changes.
   */
  private readLeader(): NodeId | null {
    const known = this.termLeader;
    if (known === null || known.term !== this.term || known.id === this.id) return null;
    return known.id;
  }

  /** Call after any term change: forwarded reads fail only when the term or the leader changes. */
  private setLeader(leader: NodeId | null): void {
    this.leader = leader;
    const known = this.termLeader;
    const sameLeader = known !== null && known.term === this.term && (leader === null || leader === known.id);
    if (!sameLeader && this.forwardedReads.size > 0) {
      // The leader they went to may never answer: let the caller retry elsewhere.
      this.readsDropped.push(...this.forwardedReads);
      this.forwardedReads.clear();
    }
    if (leader !== null) this.termLeader = { id: leader, term: this.term };
    else if (!sameLeader) this.termLeader = null;
  }

  private resetLeaderState(wasLeader: boolean): void {
    if (wasLeader) replication.dropLeaderReads(this);
    this.progress = new Map();
    this.reads = new ReadIndexTracker();
    this.readsAwaitingCommit = [];
    this.leadTransferee = null;
    this.leaderTicks = 0;
    this.quiesced = false;
    this.idleTicks = 0;
    this.roundSentAt = new Map();
    this.leaseExpiresAtTick = 0;
    this.transferStartedThisTerm = false;
    this.uncommitted = [];
    this.uncommittedBytes = 0;
    this.broadcastPending = false;
    this.votes = new Map();
    this.receivingSnapshot = null;
  }

  private applyConf(index: LogIndex, change: ConfChange): void {
    this.conf = applyConfChange(this.conf, change);
    this.confIndex = index;
    this.logger.info({ term: this.term, change: change.type, peer: change.node, voters: this.conf.voters, learners: this.conf.learners }, 'applied membership change');
    if (this.role === 'leader') replication.confChanged(this, change);
  }
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term;
}
