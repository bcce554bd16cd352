/**
 * The node's HTTP listener for operators (`--metrics-listen`): Prometheus metrics at `/metrics`,
 * a liveness probe at `/livez` (the process answers) and a readiness probe at `/readyz` (200 when
 * ready, 503 with one reason per line otherwise; readiness.ts). Plain HTTP, read-only: it serves
 * no data and takes no input, so it may sit on a port scrapers and kubelets reach.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../shared/logger.js';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.js';

export interface MetricsServerOptions {
  readonly listen: string;
  readonly registry: Registry;
  readonly readiness: () => Readiness;
  readonly log: Logger;
}

export interface RunningMetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server = createServer((request, response) => {
    handle(options, request, response).catch((err: unknown) => {
      options.log.warn({ err, path: request.url }, 'metrics request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  const { host, port } = splitAddress(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  options.log.info({ listen: options.listen, port: bound }, 'serving metrics and probes over HTTP');
  return { port: bound, close: () => closeServer(server) };
}

async function handle(options: MetricsServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
    return;
  }
  if (path === '/metrics') {
    const body = await options.registry.metrics();
    response.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
  } else if (path === '/livez') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (path === '/readyz') {
    const { ready, reasons } = options.readiness();
    response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : `not ready:\n${reasons.join('\n')}\n`);
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics, /livez or /readyz\n');
  }
}

function splitAddress(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(colon + 1)) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
