// Goal: delay and loss without netem (this kernel has none). Method: a userspace TCP proxy per
// directed link. Each accepted connection dials the target and pumps bytes both ways through a FIFO
// that releases each chunk `delayMs + jitter` after it arrived, never before the chunk ahead of it
// (TCP is a stream, so delay must not reorder). Modes:
// - 'pass':      forward, with the configured delay.
// - 'blackhole': stop reading both sides. Bytes wait in kernel buffers and senders stall, as on a
//                dead link with TCP retransmitting; back in 'pass' the stream resumes intact.
//                (Dropping bytes instead would corrupt the stream, which no network does.)
// - 'reset':     reset every connection (RST), now and on each new accept.
// The proxy only ever dials the target it was given: loopback or an address in our namespaces.
import net from 'node:net';
import { SeededRng, type Rng } from '../../../src/shared/rng.js';

export type ProxyMode = 'pass' | 'blackhole' | 'reset';

/** Bytes queued in one direction of one connection before we stop reading from the sender. */
export const queuedBytesMax = 1024 * 1024;

export interface LinkProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Default 127.0.0.1; in a NetworkLab, the host's bridge address so nodes can reach it. */
  readonly listenHost?: string;
  /** Default 0 (any free port). */
  readonly listenPort?: number;
  readonly delayMs?: number;
  /** Each chunk waits delayMs plus a uniform draw from [0, jitterMs). */
  readonly jitterMs?: number;
  readonly mode?: ProxyMode;
  /** Draws the jitter; pass a fork of the run's generator so a seed replays the delays. */
  readonly rng?: Rng;
}

/** One direction of one proxied connection. */
class Pump {
  private readonly queue: { readonly chunk: Buffer; readonly dueMs: number }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private sourceEnded = false;

  constructor(
    private readonly source: net.Socket,
    private readonly sink: net.Socket,
    private readonly proxy: LinkProxy,
  ) {
    source.on('data', (chunk: Buffer) => this.push(chunk));
    // A FIN is forwarded only after the bytes queued ahead of it, like any other part of the stream.
    source.on('end', () => {
      this.sourceEnded = true;
      this.finishIfDrained();
    });
  }

  private finishIfDrained(): void {
    if (this.sourceEnded && this.queue.length === 0 && !this.sink.destroyed) this.sink.end();
  }

  private push(chunk: Buffer): void {
    const last = this.queue.at(-1)?.dueMs ?? 0;
    this.queue.push({ chunk, dueMs: Math.max(performance.now() + this.proxy.nextDelayMs(), last) });
    this.queuedBytes += chunk.length;
    this.updateFlow();
    this.schedule();
  }

  private schedule(): void {
    const head = this.queue[0];
    if (head === undefined || this.timer !== undefined) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, head.dueMs - performance.now()));
  }

  private release(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue[0] !== undefined && this.queue[0].dueMs <= now) {
      const { chunk } = this.queue.shift() ?? { chunk: Buffer.alloc(0) };
      this.queuedBytes -= chunk.length;
      if (!this.sink.destroyed) this.sink.write(chunk);
    }
    this.updateFlow();
    this.schedule();
    this.finishIfDrained();
  }

  /** Reading stops in blackhole mode and while the queue is at its bound. */
  updateFlow(): void {
    if (this.proxy.mode === 'blackhole' || this.queuedBytes > queuedBytesMax) this.source.pause();
    else this.source.resume();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

export class LinkProxy {
  private readonly connections = new Set<{ client: net.Socket; upstream: net.Socket; pumps: Pump[] }>();
  private delayMs: number;
  private jitterMs: number;
  private currentMode: ProxyMode;
  private readonly rng: Rng;

  private constructor(
    private readonly server: net.Server,
    private readonly options: LinkProxyOptions,
  ) {
    this.delayMs = options.delayMs ?? 0;
    this.jitterMs = options.jitterMs ?? 0;
    this.currentMode = options.mode ?? 'pass';
    this.rng = options.rng ?? new SeededRng(1);
    server.on('connection', (client) => this.accept(client));
  }

  static async start(options: LinkProxyOptions): Promise<LinkProxy> {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const proxy = new LinkProxy(server, options);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, options.listenHost ?? '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('Proxy is not listening on TCP');
    return address.port;
  }

  get mode(): ProxyMode {
    return this.currentMode;
  }

  nextDelayMs(): number {
    return this.delayMs + (this.jitterMs > 0 ? this.rng.nextFloat() * this.jitterMs : 0);
  }

  /** Applies to chunks that arrive from now on; queued chunks keep their release time. */
  setDelay(delayMs: number, jitterMs = 0): void {
    if (!(delayMs >= 0 && jitterMs >= 0)) throw new Error(`Cannot set proxy delay: ${delayMs} ms + ${jitterMs} ms jitter`);
    this.delayMs = delayMs;
    this.jitterMs = jitterMs;
  }

  setMode(mode: ProxyMode): void {
    this.currentMode = mode;
    if (mode === 'reset') this.resetConnections();
    for (const connection of this.connections) for (const pump of connection.pumps) pump.updateFlow();
  }

  /** One-shot "drop connection": resets what is open now, keeps accepting new connections. */
  resetConnections(): void {
    for (const connection of [...this.connections]) {
      connection.client.resetAndDestroy();
      connection.upstream.resetAndDestroy();
    }
  }

  get openConnections(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    this.resetConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.currentMode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const { targetHost: host, targetPort: port } = this.options;
    const upstream = net.connect({ host, port, allowHalfOpen: true });
    const connection = { client, upstream, pumps: [] as Pump[] };
    connection.pumps.push(new Pump(client, upstream, this), new Pump(upstream, client, this));
    this.connections.add(connection);
    // An error on either side (e.g. target refused or reset) resets the other: what TCP would do.
    const fail = (): void => {
      if (!client.destroyed) client.resetAndDestroy();
      if (!upstream.destroyed) upstream.resetAndDestroy();
    };
    const closed = (): void => {
      if (!client.destroyed || !upstream.destroyed) return;
      this.connections.delete(connection);
      for (const pump of connection.pumps) pump.stop();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', fail);
      socket.on('close', closed);
    }
    for (const pump of connection.pumps) pump.updateFlow();
  }
}
