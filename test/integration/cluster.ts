// Goal: run real `raftkv serve` processes on loopback for integration tests, each with its own temp
// data dir and log file, and give tests the process faults they need (SIGKILL, SIGTERM, SIGSTOP,
// restart on the same port and data). Method: free ports come from binding port 0; every wait is a
// bounded poll of the Status RPC; `stopAll()` always kills what it started and removes the temp
// root, unless a test failed, in which case the logs are kept and their paths printed. The process
// handling and polling are shared with the Jepsen-style runs (test/support/).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvStub } from '../../src/client/kv-stub.js';
import type { ClientTls } from '../../src/client/client-tls.js';
import { pollUntil } from '../support/poll.js';
import { freePorts } from '../support/ports.js';
import { serveArgv, ServeProcess, type ExitInfo } from '../support/serve-process.js';
import { nodeStatus, type NodeStatus } from '../support/kv-wire.js';

export { PollAborted, pollUntil, sleep } from '../support/poll.js';
export { repoRoot, type ExitInfo } from '../support/serve-process.js';

export interface NodeOptions {
  /** `--snapshot-entries`: applied entries past the last snapshot before the log is compacted. */
  readonly snapshotEntries?: number;
  /** Any further `raftkv serve` flags for this node. */
  readonly flags?: readonly string[];
}

export interface ClusterOptions {
  readonly size: number;
  /** Default 20 ms. */
  readonly tickMs?: number;
  /** Default 10 ticks. */
  readonly electionTicks?: number;
  /** Flags for every node, before the per-node ones. */
  readonly flags?: readonly string[];
  /** Per node id (1-based). */
  readonly nodes?: Readonly<Record<number, NodeOptions>>;
  /** Extra nodes (ids size+1, ...) that are not founders: start them later with join(). */
  readonly spares?: number;
  /** TLS for the harness's own stubs, for nodes started with --tls-cert. */
  readonly clientTls?: ClientTls | undefined;
}

interface Member {
  readonly id: number;
  readonly address: string;
  /** The node's peer port (`--peer-listen`): Raft traffic only. */
  readonly peerAddress: string;
  readonly dataDir: string;
  readonly logPath: string;
  options: NodeOptions;
  proc: ServeProcess | null;
  paused: boolean;
  stub: KvStub | null;
}

/** Bounds on waits (generous: this runs on a loaded 2-core machine). */
const startTimeoutMs = 30_000;
const exitTimeoutMs = 15_000;
const leaderTimeoutMsDefault = 20_000;

export class Cluster {
  private readonly members = new Map<number, Member>();
  private failed = false;

  private constructor(readonly root: string, private readonly options: ClusterOptions, ports: readonly number[]) {
    const count = ports.length / 2;
    for (const [i, port] of ports.slice(0, count).entries()) {
      const id = i + 1;
      const dataDir = join(root, `n${id}`);
      mkdirSync(dataDir);
      this.members.set(id, {
        id, address: `127.0.0.1:${port}`, peerAddress: `127.0.0.1:${ports[count + i] ?? 0}`, dataDir, logPath: join(root, `n${id}.log`),
        options: options.nodes?.[id] ?? {}, proc: null, paused: false, stub: null,
      });
    }
  }

  /** Starts every node and waits until each answers Status (not for a leader: see waitForLeader). */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const root = mkdtempSync(join(tmpdir(), 'raftkv-it-'));
    const cluster = new Cluster(root, options, await freePorts(2 * (options.size + (options.spares ?? 0))));
    try {
      await Promise.all(cluster.founders().map((id) => cluster.launch(id)));
    } catch (error) {
      cluster.markFailed();
      await cluster.stopAll();
      throw error;
    }
    return cluster;
  }

  ids(): number[] {
    return [...this.members.keys()];
  }

  founders(): number[] {
    return this.ids().filter((id) => id <= this.options.size);
  }

  /** Starts a spare node with --join: it registers itself with the founders. */
  async join(id: number): Promise<void> {
    if (id <= this.options.size || this.isRunning(id)) throw new Error(`Cannot join node ${id}: it is a founder or already running`);
    await this.launch(id);
  }

  /** Nodes that are running and not paused: the ones that can answer. */
  liveIds(): number[] {
    return this.ids().filter((id) => this.isRunning(id) && !this.member(id).paused);
  }

  address(id: number): string {
    return this.member(id).address;
  }

  logPath(id: number): string {
    return this.member(id).logPath;
  }

  /** The node's data directory (its SQLite file is `raftkv.db` in it). */
  dataDir(id: number): string {
    return this.member(id).dataDir;
  }

  /** The node's peer port address (Raft traffic only). */
  peerAddress(id: number): string {
    return this.member(id).peerAddress;
  }

  /** A member's record as `--peers` and `member add` take it: `client@peer`. */
  memberAddress(id: number): string {
    return `${this.address(id)}@${this.peerAddress(id)}`;
  }

  /** The founders as `raftkv serve --peers` takes them: `1=host:port@peerhost:port,...`. */
  peersFlag(): string {
    return this.founders().map((id) => `${id}=${this.memberAddress(id)}`).join(',');
  }

  logText(id: number): string {
    try {
      return readFileSync(this.member(id).logPath, 'utf8');
    } catch {
      return '';
    }
  }

  isRunning(id: number): boolean {
    return this.member(id).proc?.isRunning() ?? false;
  }

  /** A raw client of one node, cached until that node is killed or restarted. */
  stub(id: number): KvStub {
    const member = this.member(id);
    member.stub ??= new KvStub(member.address, {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.min_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 250,
    }, undefined, this.options.clientTls);
    return member.stub;
  }

  status(id: number, deadlineMs = 2_000): Promise<NodeStatus> {
    return this.stub(id).call('Status', {}, { deadlineMs }).then(nodeStatus);
  }

  /** Polls Status on every live node (or `among`) until all name the same leader, which agrees. */
  async waitForLeader(options: { timeoutMs?: number; among?: readonly number[]; not?: number } = {}): Promise<number> {
    const timeoutMs = options.timeoutMs ?? leaderTimeoutMsDefault;
    return pollUntil(`one agreed leader among nodes ${String(options.among ?? this.liveIds())}`, timeoutMs, async () => {
      const ids = options.among ?? this.liveIds();
      const statuses = await Promise.all(ids.map((id) => this.status(id, 1_000)));
      const leader = statuses[0]?.leaderId ?? 0;
      if (leader === 0 || leader === options.not || !statuses.every((s) => s.leaderId === leader)) return undefined;
      const own = statuses.find((s) => s.nodeId === leader) ?? (await this.status(leader, 1_000));
      return own.role === 'ROLE_LEADER' && own.term === Math.max(...statuses.map((s) => s.term)) ? leader : undefined;
    });
  }

  /** Live nodes other than `leader`. */
  followersOf(leader: number): number[] {
    return this.liveIds().filter((id) => id !== leader);
  }

  /** Sends `signal` and waits for the process to exit; returns how it ended. */
  async kill(id: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<ExitInfo> {
    const member = this.member(id);
    const proc = member.proc;
    if (proc === null) throw new Error(`Cannot kill node ${id}: it is not running`);
    this.dropStub(member);
    if (member.paused && signal === 'SIGTERM') {
      proc.child.kill(signal);
      proc.child.kill('SIGCONT');
    }
    member.paused = false;
    const exit = await proc.stop(signal, exitTimeoutMs);
    if (exit === null) {
      proc.child.kill('SIGKILL');
      throw new Error(`Node ${id} did not exit within ${exitTimeoutMs} ms of ${signal}; log: ${member.logPath}`);
    }
    member.proc = null;
    return exit;
  }

  /** SIGSTOP: the process freezes with its sockets open; peers see silence. */
  pause(id: number): void {
    const member = this.member(id);
    member.proc?.child.kill('SIGSTOP');
    member.paused = true;
  }

  resume(id: number): void {
    const member = this.member(id);
    member.proc?.child.kill('SIGCONT');
    member.paused = false;
  }

  /** Starts a stopped node again on the same port and data dir; `options` replace its node options. */
  async restart(id: number, options?: NodeOptions): Promise<void> {
    const member = this.member(id);
    if (this.isRunning(id)) throw new Error(`Cannot restart node ${id}: it is still running`);
    if (options !== undefined) member.options = options;
    await this.launch(id);
  }

  /** Keeps the temp dir on stopAll() and prints where the logs are. */
  markFailed(): void {
    this.failed = true;
  }

  /** Kills every node (SIGKILL), closes stubs, removes the temp root unless a test failed. */
  async stopAll(): Promise<void> {
    await Promise.all(this.ids().map(async (id) => {
      const member = this.member(id);
      this.dropStub(member);
      if (this.isRunning(id)) await this.kill(id, 'SIGKILL').catch(() => undefined);
    }));
    if (this.failed) {
      const logs = this.ids().map((id) => `  node ${id}: ${this.logPath(id)}`).join('\n');
      console.error(`raftkv integration cluster kept for inspection at ${this.root}\n${logs}`);
      return;
    }
    rmSync(this.root, { recursive: true, force: true });
  }

  private member(id: number): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`No node ${id} in this cluster`);
    return member;
  }

  private dropStub(member: Member): void {
    member.stub?.close();
    member.stub = null;
  }

  private argsOf(member: Member): string[] {
    const snapshot = member.options.snapshotEntries === undefined ? [] : ['--snapshot-entries', String(member.options.snapshotEntries)];
    return serveArgv({
      nodeId: member.id, listen: member.address, peerListen: member.peerAddress,
      peers: new Map(this.founders().map((id) => [id, this.memberAddress(id)])), dataDir: member.dataDir,
      tickMs: this.options.tickMs ?? 20, electionTicks: this.options.electionTicks ?? 10,
      extra: [...snapshot, ...(this.options.flags ?? []), ...(member.options.flags ?? []), ...(member.id > this.options.size ? ['--join'] : [])],
    });
  }

  private async launch(id: number): Promise<void> {
    const member = this.member(id);
    this.dropStub(member);
    const proc = ServeProcess.spawn(this.argsOf(member), member.logPath);
    member.proc = proc;
    member.paused = false;
    try {
      await proc.waitUntilServing(`node ${id} to answer Status`, startTimeoutMs, () => this.status(id, 1_000));
    } catch (error) {
      this.markFailed();
      throw error;
    }
  }
}
