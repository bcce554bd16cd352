/**
 * The server processes of one benchmark cluster: started through the network (inside a namespace
 * or on loopback) with output appended to one log file per node (kept across restarts), and the
 * process faults of the Jepsen harness (test/jepsen/nemesis/process.ts) applied by node number.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { crash, isAlive, pause, resume, terminate } from '../../test/jepsen/nemesis/process.js';
import type { BenchNetwork } from './network.js';

export interface ServerSpec {
  readonly node: number;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly logPath: string;
}

/** Bound on a graceful stop (SIGTERM) before SIGKILL; raftkv needs it to write a CPU profile. */
const stopTimeoutMs = 10_000;

export class ServerSet {
  private readonly children = new Map<number, ChildProcess>();
  private readonly expectedDown = new Set<number>();
  private readonly unexpectedExits: string[] = [];

  constructor(private readonly network: BenchNetwork, readonly specs: readonly ServerSpec[]) {}

  get nodes(): number[] {
    return this.specs.map((s) => s.node);
  }

  start(): void {
    for (const spec of this.specs) this.launch(spec);
  }

  pid(node: number): number | undefined {
    return this.children.get(node)?.pid;
  }

  /** Exits we did not cause ("node 2 exited with code 1"), for the report. */
  get failures(): readonly string[] {
    return this.unexpectedExits;
  }

  async crash(node: number): Promise<void> {
    this.expectedDown.add(node);
    await crash(this.child(node));
  }

  restart(node: number): void {
    const spec = this.specs.find((s) => s.node === node);
    if (spec === undefined) throw new Error(`No server spec for node ${node}`);
    if (isAlive(this.child(node))) throw new Error(`Cannot restart node ${node}: it is still running`);
    this.launch(spec);
  }

  pause(node: number): void {
    pause(this.child(node));
  }

  resume(node: number): void {
    resume(this.child(node));
  }

  /** SIGTERM to every live server (resumed first), SIGKILL after a bound. */
  async stop(): Promise<void> {
    for (const node of this.nodes) this.expectedDown.add(node);
    await Promise.all([...this.children.values()].map((child) => (isAlive(child) ? terminate(child, stopTimeoutMs) : undefined)));
  }

  private child(node: number): ChildProcess {
    const child = this.children.get(node);
    if (child === undefined) throw new Error(`Node ${node} was never started`);
    return child;
  }

  private launch(spec: ServerSpec): void {
    const fd = openSync(spec.logPath, 'a');
    writeSync(fd, `\n==== bench: starting node ${spec.node} at ${new Date().toISOString()}: ${spec.argv.join(' ')}\n`);
    try {
      const child = this.network.spawn(spec.node, spec.argv, { cwd: spec.cwd, stdio: ['ignore', fd, fd] });
      this.expectedDown.delete(spec.node);
      child.once('exit', (code, signal) => {
        if (!this.expectedDown.has(spec.node)) this.unexpectedExits.push(`node ${spec.node} exited (code ${String(code)}, signal ${String(signal)})`);
      });
      this.children.set(spec.node, child);
    } finally {
      closeSync(fd);
    }
  }
}
