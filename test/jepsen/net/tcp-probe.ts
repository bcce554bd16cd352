// Test helpers: tiny TCP programs that show what a fault does to real connections. An echo server
// runs inside a node's namespace; probes connect from the host (in this process, as clients do) or
// from another namespace (a `node -e` child, as a peer would). A probe answers 'ok' when a byte
// made the round trip, 'timeout' when nothing came back in time (dropped packets look like this),
// or the socket error code (e.g. 'ECONNREFUSED').
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import type { NodeId } from '../../../src/shared/ids.js';
import type { Peer } from './links.js';
import type { NetworkLab } from './netns.js';

export type ProbeResult = 'ok' | 'timeout' | string;

/** Bound on waiting for a helper child to say it is ready. */
const readyTimeoutMs = 5_000;

const echoServerScript = `
const net = require('node:net');
net.createServer((s) => { s.on('error', () => {}); s.pipe(s); })
  .listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));`;

// One connection; each stdin line "<ms>" sends a byte and prints ok/timeout. After a timeout the
// byte may still arrive later, so callers do not reuse a connection past its first timeout.
const heldClientScript = `
const net = require('node:net');
console.log('started');
const s = net.connect({ host: process.argv[1], port: Number(process.argv[2]) });
let pending;
s.on('connect', () => console.log('connected'));
s.on('data', () => { if (pending) { clearTimeout(pending); pending = undefined; console.log('ok'); } });
s.on('error', (e) => console.log(e.code || 'error'));
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  s.write('p');
  pending = setTimeout(() => { pending = undefined; console.log('timeout'); }, Number(line));
});`;

/** Lines a child prints, delivered one per `next()` call, in order. */
function lineReader(child: ChildProcess): (timeoutMs: number) => Promise<string> {
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  if (child.stdout === null) throw new Error('Helper child needs a piped stdout');
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  return (timeoutMs) => {
    const line = lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => {
      const waiter = (value: string): void => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        resolve('no-answer');
      }, timeoutMs);
      waiters.push(waiter);
    });
  };
}

/** Starts an echo server on 0.0.0.0:port inside the node's namespace; resolves once it listens. */
export async function startEchoServer(lab: NetworkLab, node: NodeId, port: number): Promise<ChildProcess> {
  const child = lab.run(node, [process.execPath, '-e', echoServerScript, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await lineReader(child)(readyTimeoutMs);
  if (line !== 'listening') throw new Error(`Echo server on node ${node} did not start: ${line}`);
  return child;
}

/** One fresh connection and round trip from the host (the client's view). */
export function probeFromHost(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('connect', () => socket.write('x'));
    socket.on('data', () => finish('ok'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
  });
}

export interface HeldConnection {
  /** Resolves 'connected', 'timeout' (no answer to the SYN in time) or a socket error code. */
  readonly opened: Promise<string>;
  roundTrip(timeoutMs: number): Promise<ProbeResult>;
  close(): void;
}

/**
 * A long-lived connection opened by `from` (a node, or the client) to `to`'s echo server. The
 * connect timeout starts once the child runs, so node's start-up time does not count against it.
 */
export function holdConnection(lab: NetworkLab, from: Peer, to: NodeId, port: number, connectTimeoutMs: number): HeldConnection {
  if (from === 'client') return holdFromHost(lab.addressOf(to), port, connectTimeoutMs);
  const argv = [process.execPath, '-e', heldClientScript, lab.addressOf(to), String(port)];
  const child = lab.run(from, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const next = lineReader(child);
  const opened = (async (): Promise<string> => {
    const started = await next(readyTimeoutMs);
    if (started !== 'started') return `helper did not start: ${started}`;
    const line = await next(connectTimeoutMs);
    return line === 'no-answer' ? 'timeout' : line;
  })();
  return {
    opened,
    roundTrip: (timeoutMs) => {
      child.stdin?.write(`${timeoutMs}\n`);
      return next(timeoutMs + readyTimeoutMs);
    },
    close: () => child.kill('SIGKILL'),
  };
}

function holdFromHost(host: string, port: number, connectTimeoutMs: number): HeldConnection {
  const socket = net.connect({ host, port });
  let pending: ((result: ProbeResult) => void) | undefined;
  const opened = new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), connectTimeoutMs);
    socket.once('connect', () => resolve('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => clearTimeout(timer));
    socket.once('connect', () => clearTimeout(timer));
  });
  socket.on('error', () => undefined);
  socket.on('data', () => pending?.('ok'));
  return {
    opened,
    roundTrip: (timeoutMs) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        const finish = (result: ProbeResult): void => {
          clearTimeout(timer);
          pending = undefined;
          resolve(result);
        };
        pending = finish;
        socket.write('p');
      }),
    close: () => socket.destroy(),
  };
}

/** One fresh connection and round trip from inside `from`'s namespace (a peer's view). */
export async function probeFromNode(lab: NetworkLab, from: NodeId, to: NodeId, port: number, timeoutMs: number): Promise<ProbeResult> {
  const held = holdConnection(lab, from, to, port, timeoutMs);
  try {
    const opened = await held.opened;
    if (opened !== 'connected') return opened;
    return await held.roundTrip(timeoutMs);
  } finally {
    held.close();
  }
}
