// Goal: the userspace proxy delays, stalls and resets TCP the way proxy.ts says, without root.
// Method: an in-process echo server on loopback behind a LinkProxy; round-trip times are only ever
// bounded below (a loaded CI box may be slow, never fast), and a stalled stream must come back
// intact after a blackhole ends. The mesh test checks that blocking a link is one-directional.
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import { LinkProxy } from './proxy.js';
import { ProxyMesh } from './proxy-mesh.js';
import { probeFromHost } from './tcp-probe.js';

const okTimeoutMs = 2_000;

async function echoServer(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('Echo server has no port');
  return { server, port: address.port };
}

interface TestClient {
  readonly socket: net.Socket;
  /** Resolves the first `length` bytes received and not yet taken, or 'timeout'. */
  receive(length: number, timeoutMs: number): Promise<string>;
  /** Sends `text` and receives as many bytes back. */
  echo(text: string, timeoutMs: number): Promise<string>;
}

function client(port: number): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const receive = (length: number, timeoutMs: number): Promise<string> =>
      new Promise((done) => {
        const started = performance.now();
        const poll = setInterval(() => {
          const complete = buffered.length >= length;
          if (!complete && performance.now() - started < timeoutMs) return;
          clearInterval(poll);
          const taken = buffered.slice(0, length);
          if (complete) buffered = buffered.slice(length);
          done(complete ? taken : 'timeout');
        }, 5);
      });
    const echo = (text: string, timeoutMs: number): Promise<string> => {
      socket.write(text);
      return receive(text.length, timeoutMs);
    };
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve({ socket, receive, echo }));
    socket.once('error', reject);
    socket.on('data', (chunk: Buffer) => (buffered += chunk.toString()));
  });
}

describe('LinkProxy', () => {
  let target: { server: net.Server; port: number };
  const proxies: LinkProxy[] = [];
  const start = async (options: Partial<Parameters<typeof LinkProxy.start>[0]> = {}): Promise<LinkProxy> => {
    const proxy = await LinkProxy.start({ targetHost: '127.0.0.1', targetPort: target.port, ...options });
    proxies.push(proxy);
    return proxy;
  };

  beforeAll(async () => {
    target = await echoServer();
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });
  afterAll(async () => {
    await new Promise((resolve) => target.server.close(resolve));
  });

  it('passes bytes through unchanged', async () => {
    const proxy = await start();
    const { socket, echo } = await client(proxy.port);
    expect(await echo('hello', okTimeoutMs)).toBe('hello');
    socket.destroy();
  });

  it('delays each direction by at least delayMs (a round trip by twice that)', async () => {
    const delayMs = 150;
    const proxy = await start({ delayMs, jitterMs: 20, rng: new SeededRng(3) });
    const { socket, echo } = await client(proxy.port);
    const started = performance.now();
    expect(await echo('x', okTimeoutMs + 2 * delayMs)).toBe('x');
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * delayMs);
    socket.destroy();
  });

  it('keeps stream order under jitter', async () => {
    const proxy = await start({ delayMs: 5, jitterMs: 30, rng: new SeededRng(9) });
    const { socket, receive } = await client(proxy.port);
    const parts = Array.from({ length: 20 }, (_, i) => `${i},`);
    for (const part of parts) {
      socket.write(part);
      await new Promise((resolve) => setTimeout(resolve, 2)); // separate chunks, separate jitter draws
    }
    const sent = parts.join('');
    expect(await receive(sent.length, okTimeoutMs)).toBe(sent);
    socket.destroy();
  });

  it("'blackhole' stalls the connection and 'pass' resumes it intact", async () => {
    const proxy = await start();
    const { socket, echo, receive } = await client(proxy.port);
    proxy.setMode('blackhole');
    expect(await echo('held', 200)).toBe('timeout');
    proxy.setMode('pass');
    expect(await receive(4, okTimeoutMs)).toBe('held');
    socket.destroy();
  });

  it("'reset' resets open connections and refuses new ones until 'pass'", async () => {
    const proxy = await start();
    const { socket } = await client(proxy.port);
    const closed = new Promise<string>((resolve) => socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? '')));
    proxy.setMode('reset');
    expect(await closed).toBe('ECONNRESET');
    expect(await probeFromHost('127.0.0.1', proxy.port, okTimeoutMs)).toBe('ECONNRESET');
    proxy.setMode('pass');
    expect(await probeFromHost('127.0.0.1', proxy.port, okTimeoutMs)).toBe('ok');
  });

  it('forwards a FIN only after the delayed bytes ahead of it', async () => {
    const proxy = await start({ delayMs: 50 });
    const { socket, receive } = await client(proxy.port);
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    socket.end('last words');
    await ended;
    expect(await receive(10, 0)).toBe('last words');
  });
});

describe('ProxyMesh (the non-root fallback)', () => {
  it('blocks only the connections the blocked side opens', async () => {
    const [a, b] = [await echoServer(), await echoServer()];
    const [n1, n2] = [nodeId(1), nodeId(2)];
    const mesh = await ProxyMesh.start({
      targets: [{ node: n1, host: '127.0.0.1', port: a.port }, { node: n2, host: '127.0.0.1', port: b.port }],
    });
    try {
      mesh.block([{ from: n1, to: n2 }]);
      const via = (from: typeof n1 | 'client', to: typeof n1, timeoutMs: number): Promise<string> =>
        probeFromHost('127.0.0.1', mesh.addressFor(from, to).port, timeoutMs);
      expect(await Promise.all([via(n1, n2, 200), via(n2, n1, okTimeoutMs), via('client', n2, okTimeoutMs)])).toEqual([
        'timeout', 'ok', 'ok',
      ]);
      mesh.heal();
      expect(await via(n1, n2, okTimeoutMs)).toBe('ok');
    } finally {
      await mesh.close();
      for (const { server } of [a, b]) server.close();
    }
  });
});
