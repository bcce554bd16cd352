// The cluster under test in a fault run: real `raftkv serve` processes placed by a NetBackend (one
// network namespace each, or loopback behind proxies), one data dir and one log file per node
// under the run directory, and the process faults the nemesis needs (kill -9 and restart on the
// same data, SIGSTOP/SIGCONT, wipe-and-rejoin for membership changes, see membership.ts). Clients
// reach nodes through `kvStub(node)`, created once per node so a restart reuses the channel.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { KvStub, type ClusterMethod, type Message } from '../../../src/client/kv-stub.js';
import type * as grpc from '@grpc/grpc-js';
import { makeSecureMaterial, nodeChannelCredentials, secureServeFlags, type SecureMaterial } from './secure-setup.js';
import { KvError } from '../../../src/shared/errors.js';
import type { NodeId } from '../../../src/shared/ids.js';
import { field, nodeStatus, num, type NodeStatus } from '../../support/kv-wire.js';
import { pollUntil } from '../../support/poll.js';
import { serveArgv, ServeProcess } from '../../support/serve-process.js';
import type { NetBackend } from './network.js';

export interface ClusterSettings {
  readonly nodes: readonly NodeId[];
  readonly runDir: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  readonly leaseReads: boolean;
  /** `raftkv serve --groups`: data groups of a sharded cluster; 0 for one unsharded group 0. */
  readonly groups?: number;
  /** `raftkv serve --replicas`: replicas per data group (sharded only). */
  readonly replicas?: number;
  /** Server entry point relative to the repo root; a test passes a deliberately broken wrapper. */
  readonly serverEntry?: string;
  /** TLS everywhere and auth enabled (secure-setup.ts). */
  readonly secure?: boolean;
}

export interface MemberView {
  readonly node: NodeId;
  readonly isLearner: boolean;
}

export interface FullStatus extends NodeStatus {
  readonly members: readonly MemberView[];
}

interface NodeState {
  proc: ServeProcess | null;
  paused: boolean;
  /** Removed from the membership: its process is stopped and its data dir wiped until it rejoins. */
  removed: boolean;
  /** Next start is an empty node with --join (it was removed and is being added back). */
  joinNext: boolean;
  /** Tail of this node's queue of lifecycle steps (see exclusive()). */
  lock: Promise<void>;
  readonly kv: KvStub;
}

const startTimeoutMs = 60_000;
const AUTH_SETUP_ATTEMPTS_MAX = 10;
const killTimeoutMs = 10_000;
const statusDeadlineMs = 1_000;

function membersOf(message: unknown): MemberView[] {
  const members = field(message, 'members');
  return (Array.isArray(members) ? members : []).map((m) => ({ node: num(m, 'nodeId') as NodeId, isLearner: field(m, 'isLearner') === true }));
}

export class JepsenCluster {
  private readonly states = new Map<NodeId, NodeState>();

  private readonly secure: SecureMaterial | undefined;

  constructor(readonly settings: ClusterSettings, readonly net: NetBackend) {
    mkdirSync(join(settings.runDir, 'logs'), { recursive: true });
    this.secure = settings.secure === true
      ? makeSecureMaterial(settings.runDir, settings.nodes, (n) => [net.listenAddress(n), net.advertiseAddress(n), net.peerListenAddress(n), net.clientAddress(n), net.peerAddress(n)])
      : undefined;
    for (const node of settings.nodes) {
      const address = net.clientAddress(node);
      const kv = new KvStub(address, {
        'grpc.initial_reconnect_backoff_ms': 50, 'grpc.min_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 300,
      }, undefined, this.secure?.clientTls);
      this.states.set(node, { proc: null, paused: false, removed: false, joinNext: false, lock: Promise.resolve(), kv });
    }
  }

  get nodes(): readonly NodeId[] {
    return this.settings.nodes;
  }

  dataDir(node: NodeId): string {
    return join(this.settings.runDir, 'data', `n${node}`);
  }

  logPath(node: NodeId): string {
    return join(this.settings.runDir, 'logs', `n${node}.log`);
  }

  kvStub(node: NodeId): KvStub {
    return this.state(node).kv;
  }

  /** With --secure, how to dial a peer port as member `node` (its own certificate); else plaintext. */
  peerCredentials(node: NodeId): grpc.ChannelCredentials | undefined {
    return this.secure === undefined ? undefined : nodeChannelCredentials(this.secure, node);
  }

  /** A Cluster service call (membership, leader transfer) on `node`. */
  clusterCall(node: NodeId, method: ClusterMethod, request: Message, deadlineMs: number): Promise<Message> {
    return this.kvStub(node).callCluster(method, { groupId: '0', ...request }, { deadlineMs });
  }

  isRunning(node: NodeId): boolean {
    return this.state(node).proc?.isRunning() ?? false;
  }

  isRemoved(node: NodeId): boolean {
    return this.state(node).removed;
  }

  /** Running, not paused, not removed: nodes that can answer. */
  liveNodes(): NodeId[] {
    return this.nodes.filter((node) => this.isRunning(node) && !this.state(node).paused && !this.state(node).removed);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.exclusive(node, () => this.launch(node))));
  }

  /**
   * With --secure, once a leader is up: a root user and auth on. The harness's calls run as root
   * by their client certificate from then on; a workload call without rights would fail loudly.
   */
  async enableAuth(deadlineMs: number): Promise<void> {
    if (this.secure === undefined) return;
    const password = randomUUID();
    for (const request of [{ action: 'user-add', name: 'root', password }, { action: 'enable' }]) await this.onLeader(request, deadlineMs);
  }

  /** An AuthChange on group 0's leader, following a leadership change a few times. */
  private async onLeader(request: Message, deadlineMs: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const leader = await this.leaderOf();
      try {
        if (leader === undefined) throw new Error('no leader');
        await this.kvStub(leader).callCluster('AuthChange', request, { deadlineMs });
        return;
      } catch (error) {
        if (attempt >= AUTH_SETUP_ATTEMPTS_MAX) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  get isSharded(): boolean {
    return (this.settings.groups ?? 0) > 0;
  }

  /** `node`'s view of `group` (group 0: the only group, or the meta group when sharded). */
  async status(node: NodeId, deadlineMs = statusDeadlineMs, group = 0): Promise<FullStatus> {
    const message = await this.kvStub(node).call('Status', group === 0 ? {} : { groupId: String(group) }, { deadlineMs });
    return { ...nodeStatus(message), members: membersOf(message) };
  }

  /** The node that says it leads `group` with the highest term among live nodes, or undefined. */
  async leaderOf(group = 0): Promise<NodeId | undefined> {
    const answers = await Promise.all(this.liveNodes().map((node) => this.status(node, 500, group).catch(() => undefined)));
    let best: FullStatus | undefined;
    for (const s of answers) {
      if (s?.role === 'ROLE_LEADER' && (best === undefined || s.term > best.term)) best = s;
    }
    return best === undefined ? undefined : (best.nodeId as NodeId);
  }

  /** Waits until some live node leads and every live node agrees on it. */
  async waitForLeader(timeoutMs: number): Promise<NodeId> {
    return pollUntil('one agreed leader', timeoutMs, async () => {
      const live = this.liveNodes();
      const statuses = await Promise.all(live.map((node) => this.status(node)));
      const leader = statuses.find((s) => s.role === 'ROLE_LEADER');
      if (leader === undefined || !statuses.every((s) => s.leaderId === leader.nodeId)) return undefined;
      return leader.nodeId as NodeId;
    }, 50);
  }

  crash(node: NodeId): Promise<void> {
    return this.exclusive(node, () => this.crashNow(node));
  }

  /** Starts a stopped node again on its data (or empty with --join if it is being re-added). */
  restart(node: NodeId): Promise<void> {
    return this.exclusive(node, async () => {
      if (this.state(node).removed || this.isRunning(node)) return;
      await this.launch(node);
    });
  }

  pause(node: NodeId): Promise<void> {
    const state = this.state(node);
    if (state.proc?.isRunning() === true) {
      state.proc.child.kill('SIGSTOP');
      state.paused = true;
    }
    return Promise.resolve();
  }

  resume(node: NodeId): Promise<void> {
    const state = this.state(node);
    state.proc?.child.kill('SIGCONT');
    state.paused = false;
    return Promise.resolve();
  }

  /** After a MemberRemove: stop the process and wipe its data; it may only come back with --join. */
  retire(node: NodeId): Promise<void> {
    return this.exclusive(node, async () => {
      await this.crashNow(node);
      this.state(node).removed = true;
      rmSync(this.dataDir(node), { recursive: true, force: true });
    });
  }

  /** Starts a retired node empty, with --join, so the leader can add it back as a learner. */
  startJoiner(node: NodeId): Promise<void> {
    return this.exclusive(node, async () => {
      const state = this.state(node);
      await this.crashNow(node);
      rmSync(this.dataDir(node), { recursive: true, force: true });
      state.joinNext = true;
      state.removed = false;
      await this.launch(node);
    });
  }

  /** Every node resumed and running (restarted on its data if it was killed). */
  async resumeAll(): Promise<void> {
    for (const node of this.nodes) {
      if (this.state(node).paused) await this.resume(node);
      await this.restart(node);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.crashNow(node).catch(() => undefined)));
    for (const state of this.states.values()) state.kv.close();
  }

  /**
   * Runs lifecycle steps of one node one at a time: the nemesis lanes run concurrently, and a
   * restart racing a wipe-and-rejoin of the same node would start two processes on one data dir.
   */
  private exclusive(node: NodeId, step: () => Promise<void>): Promise<void> {
    const state = this.state(node);
    const next = state.lock.then(step);
    state.lock = next.catch(() => undefined);
    return next;
  }

  private async crashNow(node: NodeId): Promise<void> {
    const state = this.state(node);
    const proc = state.proc;
    state.paused = false;
    if (proc === null) return;
    const exit = await proc.stop('SIGKILL', killTimeoutMs);
    if (exit === null) throw new Error(`Node ${node} survived SIGKILL for ${killTimeoutMs} ms`);
    state.proc = null;
  }

  private state(node: NodeId): NodeState {
    const state = this.states.get(node);
    if (state === undefined) throw new Error(`No node ${node} in this cluster`);
    return state;
  }

  private argv(node: NodeId, join: boolean): string[] {
    const s = this.settings;
    return serveArgv({
      nodeId: node, listen: this.net.listenAddress(node), advertise: this.net.advertiseAddress(node), peerListen: this.net.peerListenAddress(node),
      peers: this.net.peersFor(node), dataDir: this.dataDir(node), tickMs: s.tickMs, electionTicks: s.electionTicks,
      join, extra: [
        '--snapshot-entries', String(s.snapshotEntries), ...(s.leaseReads ? ['--lease-reads'] : []),
        // Replicas compare state hashes every second, so the byte-flip nemesis is caught quickly.
        '--hash-check-interval-ms', '1000',
        // Always explicit: the server's own default is a sharded cluster.
        '--groups', String(s.groups ?? 0), ...(this.isSharded ? ['--replicas', String(s.replicas ?? 3)] : []),
        // The netns backend listens on lab addresses, not loopback: plaintext there must be asked for.
        ...(this.secure === undefined ? ['--insecure-listen'] : secureServeFlags(this.secure, node)),
      ],
    }, s.serverEntry);
  }

  private async launch(node: NodeId): Promise<void> {
    const state = this.state(node);
    mkdirSync(this.dataDir(node), { recursive: true });
    const proc = ServeProcess.spawn(this.argv(node, state.joinNext), this.logPath(node), this.net.spawner(node));
    state.proc = proc;
    state.paused = false;
    // A node started with --join hosts no group until a leader contacts it: it answers WRONG_SHARD.
    await proc.waitUntilServing(`node ${node} to answer Status`, startTimeoutMs, () => this.status(node).then(
      () => true,
      (error: unknown) => {
        if (error instanceof KvError && error.code === 'WRONG_SHARD') return true;
        throw error;
      },
    ));
  }
}
