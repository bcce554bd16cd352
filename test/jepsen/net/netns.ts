// Goal: an isolated test network for Jepsen-style runs, one Linux network namespace per node, all
// on a private bridge, so faults (iptables inside each namespace) touch nothing outside the test.
// Method: `ip` commands through `runCommand`. Layout, for run subnet 10.77.S.0/24:
//
//   root namespace (test process, clients)        namespace rkv-<run>-n<i> (node i)
//   bridge rkv<run>, 10.77.S.1 ── veth rkv<run>h<i> ══ veth rkv<run>p<i>, 10.77.S.<10+i>, lo up
//
// The host's bridge address makes it "just another peer" (see links.ts `'client'`). Routes to
// 10.77.S.0/24 go only to our bridge, so traffic to node addresses never leaves the machine.
// Everything created is recorded and removed by `teardown()`; the exit/signal hooks in
// netns-cleanup.ts remove it too if the process dies first. Requires root (CAP_NET_ADMIN).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { assert } from '../../../src/shared/assert.js';
import type { NodeId } from '../../../src/shared/ids.js';
import { runCommand, runCommandSync, type CommandOptions } from './exec.js';
import type { Peer } from './links.js';
import { forgetOnExit, rememberOnExit, type ExitCleanup } from './netns-cleanup.js';
import {
  checkNameLengths, hostAddressIn, makeRunId, nodeAddressIn, pickSubnetOctet, runNames, subnetPrefix,
  usedSubnetOctets, type RunNames,
} from './netns-names.js';

export { cleanupStale } from './netns-cleanup.js';

export interface NetworkLabOptions {
  readonly nodes: readonly NodeId[];
}

/** Bound on waiting for children we spawned to die during teardown. */
const childExitWaitMs = 2_000;
let labsCreated = 0;

export class NetworkLab {
  private readonly children = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private readonly veths: string[] = [];
  private bridgeCreated = false;
  private tornDown = false;
  private readonly exitCleanup: ExitCleanup = { cleanupSync: () => this.teardownSync() };

  private constructor(
    readonly names: RunNames,
    readonly subnet: string,
    readonly nodes: readonly NodeId[],
  ) {}

  /** Creates the bridge and one namespace per node; on any failure removes what it made, rethrows. */
  static async create(options: NetworkLabOptions): Promise<NetworkLab> {
    assert(options.nodes.length > 0, 'A network lab needs at least one node');
    assert(new Set(options.nodes).size === options.nodes.length, 'Node ids must be distinct');
    const runId = makeRunId(process.pid, labsCreated++);
    const names = runNames(runId);
    for (const node of options.nodes) checkNameLengths(names, node);
    const used = usedSubnetOctets(await runCommand(['ip', '-o', '-4', 'addr', 'show']));
    const lab = new NetworkLab(names, subnetPrefix(pickSubnetOctet(runId, used)), [...options.nodes]);
    rememberOnExit(lab.exitCleanup); // before the first resource, so a crash mid-setup is covered
    try {
      await lab.createBridge();
      for (const node of lab.nodes) await lab.createNode(node);
    } catch (error) {
      await lab.teardown().catch(() => undefined); // report the setup error, not a cleanup one
      throw error;
    }
    return lab;
  }

  get hostAddress(): string {
    return hostAddressIn(this.subnet);
  }

  addressOf(peer: Peer): string {
    if (peer === 'client') return this.hostAddress;
    assert(this.nodes.includes(peer), `Node ${peer} is not part of network lab ${this.names.runId}`);
    return nodeAddressIn(this.subnet, peer);
  }

  namespaceOf(node: NodeId): string {
    assert(this.nodes.includes(node), `Node ${node} is not part of network lab ${this.names.runId}`);
    return this.names.namespace(node);
  }

  /** Spawns `argv` inside the node's namespace. `ip netns exec` execs in place, so the pid is argv's. */
  run(node: NodeId, argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    assert(!this.tornDown, 'Cannot run a process in a torn-down network lab');
    assert(argv.length > 0, 'Cannot run an empty argv');
    const child = spawn('ip', ['netns', 'exec', this.namespaceOf(node), ...argv], options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a short command inside the node's namespace and returns its stdout. */
  exec(node: NodeId, argv: readonly string[], options: CommandOptions = {}): Promise<string> {
    return runCommand(['ip', 'netns', 'exec', this.namespaceOf(node), ...argv], options);
  }

  /** Kills our children, deletes veths, namespaces and the bridge. Idempotent. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    await this.killChildren();
    const failures: string[] = [];
    const remove = async (argv: string[]): Promise<void> => {
      await runCommand(argv).catch((error: unknown) => failures.push(String(error)));
    };
    for (const veth of this.veths) await remove(['ip', 'link', 'del', veth]);
    for (const namespace of this.namespaces) await remove(['ip', 'netns', 'del', namespace]);
    if (this.bridgeCreated) await remove(['ip', 'link', 'del', this.names.bridge]);
    forgetOnExit(this.exitCleanup);
    if (failures.length > 0) throw new Error(`Network lab teardown left resources: ${failures.join('; ')}`);
  }

  private teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const child of this.children) child.kill('SIGKILL');
    for (const veth of this.veths) runCommandSync(['ip', 'link', 'del', veth]);
    for (const namespace of this.namespaces) runCommandSync(['ip', 'netns', 'del', namespace]);
    if (this.bridgeCreated) runCommandSync(['ip', 'link', 'del', this.names.bridge]);
  }

  private async killChildren(): Promise<void> {
    const exits = [...this.children].map((child) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, childExitWaitMs);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      child.kill('SIGKILL');
      return exited;
    });
    await Promise.all(exits);
  }

  private async createBridge(): Promise<void> {
    const bridge = this.names.bridge;
    await runCommand(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    this.bridgeCreated = true;
    await runCommand(['ip', 'addr', 'add', `${this.hostAddress}/24`, 'dev', bridge]);
    await runCommand(['ip', 'link', 'set', bridge, 'up']);
  }

  private async createNode(node: NodeId): Promise<void> {
    const namespace = this.names.namespace(node);
    const hostVeth = this.names.hostVeth(node);
    const nodeVeth = this.names.nodeVeth(node);
    await runCommand(['ip', 'netns', 'add', namespace]);
    this.namespaces.push(namespace);
    // One command creates the pair with the far end already inside the namespace.
    await runCommand(['ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nodeVeth, 'netns', namespace]);
    this.veths.push(hostVeth);
    await runCommand(['ip', 'link', 'set', hostVeth, 'master', this.names.bridge]);
    await runCommand(['ip', 'link', 'set', hostVeth, 'up']);
    await runCommand(['ip', '-n', namespace, 'addr', 'add', `${this.addressOf(node)}/24`, 'dev', nodeVeth]);
    await runCommand(['ip', '-n', namespace, 'link', 'set', nodeVeth, 'up']);
    await runCommand(['ip', '-n', namespace, 'link', 'set', 'lo', 'up']);
  }
}
