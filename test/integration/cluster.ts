// Goal: run real `raftkv serve` processes on loopback for integration tests, each with its own temp
// data dir and log file, and give tests the process faults they need (SIGKILL, SIGTERM, SIGSTOP,
// restart on the same port and data). Method: free ports come from binding port 0; every wait is a
// bounded poll of the Status RPC; `stopAll()` always kills what it started and removes the temp
// root, unless a test failed, in which case the logs are kept and their paths printed.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KvStub } from '../../src/client/kv-stub.js';
import { nodeStatus, type NodeStatus } from './kv-helpers.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

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
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface Member {
  readonly id: number;
  readonly address: string;
  readonly dataDir: string;
  readonly logPath: string;
  options: NodeOptions;
  child: ChildProcess | null;
  exited: Promise<ExitInfo> | null;
  paused: boolean;
  stub: KvStub | null;
}

/** Bounds on waits (generous: this runs on a loaded 2-core machine). */
const startTimeoutMs = 30_000;
const exitTimeoutMs = 15_000;
const leaderTimeoutMsDefault = 20_000;
const pollIntervalMs = 25;
const logTailLines = 15;

/** Every node process alive in this test process: killed if the test process exits without stopAll(). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Thrown by a probe to end a poll at once instead of retrying. */
export class PollAborted extends Error {
  override readonly name = 'PollAborted';
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof PollAborted) throw error;
      lastError = error;
    }
    if (performance.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(pollIntervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Distinct free loopback ports: all are held open together so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(servers.map((server) => new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('Cannot read the bound port'));
      else resolve(address.port);
    });
  })));
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

export class Cluster {
  private readonly members = new Map<number, Member>();
  private failed = false;

  private constructor(readonly root: string, private readonly options: ClusterOptions, ports: readonly number[]) {
    for (const [i, port] of ports.entries()) {
      const id = i + 1;
      const dataDir = join(root, `n${id}`);
      mkdirSync(dataDir);
      this.members.set(id, {
        id, address: `127.0.0.1:${port}`, dataDir, logPath: join(root, `n${id}.log`),
        options: options.nodes?.[id] ?? {}, child: null, exited: null, paused: false, stub: null,
      });
    }
  }

  /** Starts every node and waits until each answers Status (not for a leader: see waitForLeader). */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const root = mkdtempSync(join(tmpdir(), 'raftkv-it-'));
    const cluster = new Cluster(root, options, await freePorts(options.size));
    try {
      await Promise.all(cluster.ids().map((id) => cluster.launch(id)));
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

  logText(id: number): string {
    try {
      return readFileSync(this.member(id).logPath, 'utf8');
    } catch {
      return '';
    }
  }

  isRunning(id: number): boolean {
    const child = this.member(id).child;
    return child !== null && child.exitCode === null && child.signalCode === null;
  }

  /** A raw client of one node, cached until that node is killed or restarted. */
  stub(id: number): KvStub {
    const member = this.member(id);
    member.stub ??= new KvStub(member.address, {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.min_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 250,
    });
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
    if (member.child === null || member.exited === null) throw new Error(`Cannot kill node ${id}: it is not running`);
    this.dropStub(member);
    member.child.kill(signal);
    if (member.paused && signal === 'SIGTERM') member.child.kill('SIGCONT');
    member.paused = false;
    const exit = await Promise.race([member.exited, sleep(exitTimeoutMs).then(() => null)]);
    if (exit === null) {
      member.child.kill('SIGKILL');
      throw new Error(`Node ${id} did not exit within ${exitTimeoutMs} ms of ${signal}; log: ${member.logPath}`);
    }
    member.child = null;
    member.exited = null;
    return exit;
  }

  /** SIGSTOP: the process freezes with its sockets open; peers see silence. */
  pause(id: number): void {
    const member = this.member(id);
    member.child?.kill('SIGSTOP');
    member.paused = true;
  }

  resume(id: number): void {
    const member = this.member(id);
    member.child?.kill('SIGCONT');
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
    const peers = this.ids().map((id) => `${id}=${this.address(id)}`).join(',');
    const snapshot = member.options.snapshotEntries === undefined ? [] : ['--snapshot-entries', String(member.options.snapshotEntries)];
    return [
      '--import', 'tsx', 'src/cli/raftkv.ts', 'serve',
      '--node-id', String(member.id), '--listen', member.address, '--peers', peers, '--data-dir', member.dataDir,
      '--tick-ms', String(this.options.tickMs ?? 20), '--election-ticks', String(this.options.electionTicks ?? 10),
      ...snapshot, ...(this.options.flags ?? []), ...(member.options.flags ?? []),
    ];
  }

  private async launch(id: number): Promise<void> {
    const member = this.member(id);
    this.dropStub(member);
    const log = openSync(member.logPath, 'a');
    const child = spawn(process.execPath, this.argsOf(member), { cwd: repoRoot, stdio: ['ignore', log, log] });
    closeSync(log);
    member.child = child;
    member.paused = false;
    children.add(child);
    member.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }));
    try {
      await pollUntil(`node ${id} to answer Status (log ${member.logPath})`, startTimeoutMs, () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          const how = child.signalCode ?? String(child.exitCode);
          throw new PollAborted(`Node ${id} exited during start (${how}); log ${member.logPath}:\n${this.logTail(id)}`);
        }
        return this.status(id, 1_000);
      });
    } catch (error) {
      this.markFailed();
      throw error;
    }
  }

  private logTail(id: number): string {
    return this.logText(id).trimEnd().split('\n').slice(-logTailLines).join('\n');
  }
}
