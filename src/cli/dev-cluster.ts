/**
 * `raftkv dev`: a local cluster of real server processes on loopback, for trying raftkv out.
 * Each node is a child `raftkv serve` process with its own data directory under --data-dir;
 * their JSON logs go to <data-dir>/n<id>.log. Ctrl-C stops them all gracefully (SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { devCertificates, devTlsFlags, kvctlTlsFlags } from './dev-tls.js';

/** Each node's metrics and probe listener sits this far above its client port (7101-7103). */
const METRICS_PORT_OFFSET = 100;
import { PEER_PORT_OFFSET } from '../shared/member-address.js';

export interface DevClusterOptions {
  readonly nodes: number;
  readonly basePort: number;
  readonly dataDir: string;
  readonly host: string;
  /** `--groups` for every node; undefined: the server's default (16). */
  readonly groups?: number;
  /** Make a throwaway CA and certificates under the data dir and start every node with TLS. */
  readonly tls?: boolean;
}

export function parseDevFlags(argv: readonly string[]): DevClusterOptions {
  const options: { nodes: number; basePort: number; dataDir: string; host: string; groups?: number; tls?: boolean } = { nodes: 3, basePort: 7001, dataDir: './data', host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    if (name === '--tls') {
      options.tls = true;
      i--;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`Flag ${name} needs a value`);
    if (name === '--nodes') options.nodes = Number(value);
    else if (name === '--base-port') options.basePort = Number(value);
    else if (name === '--data-dir') options.dataDir = value;
    else if (name === '--groups') options.groups = Number(value);
    else throw new Error(`Unknown flag ${name}; raftkv dev takes --nodes, --base-port, --data-dir, --groups, --tls`);
  }
  if (options.groups !== undefined && (!Number.isInteger(options.groups) || options.groups < 0)) throw new Error('--groups must be 0 or more');
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 9) throw new Error('--nodes must be 1..9');
  return options;
}

export function runDevCluster(options: DevClusterOptions): void {
  const peers = Array.from({ length: options.nodes }, (_, i) => `${i + 1}=${options.host}:${options.basePort + i}`).join(',');
  const entry = fileURLToPath(new URL('./raftkv.js', import.meta.url));
  const children: ChildProcess[] = [];
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const certs = options.tls === true ? devCertificates(options.dataDir, options.nodes) : undefined;
  for (let id = 1; id <= options.nodes; id++) {
    const dataDir = resolve(join(options.dataDir, `n${id}`));
    const logFile = openSync(join(options.dataDir, `n${id}.log`), 'a');
    const args = [...process.execArgv, entry, 'serve', '--node-id', String(id), '--listen',
      `${options.host}:${options.basePort + id - 1}`, '--peer-listen', `${options.host}:${options.basePort + id - 1 + PEER_PORT_OFFSET}`, '--peers', peers, '--data-dir', dataDir,
      '--metrics-listen', `${options.host}:${options.basePort + METRICS_PORT_OFFSET + id - 1}`,
      ...(options.groups === undefined ? [] : ['--groups', String(options.groups)]),
      ...(certs === undefined ? [] : devTlsFlags(certs, id))];
    const child = spawn(process.execPath, args, { stdio: ['ignore', logFile, logFile] });
    child.on('exit', (code, signal) => console.log(`node ${id} exited (${signal ?? code})`));
    children.push(child);
  }
  const endpoints = Array.from({ length: options.nodes }, (_, i) => `${options.host}:${options.basePort + i}`);
  console.log(`raftkv dev: ${options.nodes} nodes, data under ${resolve(options.dataDir)}`);
  console.log(`endpoints: ${endpoints.join(',')} (peer ports ${options.basePort + PEER_PORT_OFFSET}-${options.basePort + PEER_PORT_OFFSET + options.nodes - 1})`);
  console.log(`metrics and probes: ${endpoints.map((_, i) => `http://${options.host}:${options.basePort + METRICS_PORT_OFFSET + i}/metrics`).join(' ')}`);
  console.log(`logs: ${resolve(options.dataDir)}/n<id>.log; Ctrl-C stops the cluster`);
  if (certs !== undefined) {
    console.log(`TLS: on, client certificates required; certificates under ${certs.dir}`);
    console.log(`try: npm run kvctl -- --endpoints ${endpoints.join(',')} ${kvctlTlsFlags(certs)} endpoint status`);
  }
  const stop = (): void => {
    for (const child of children) child.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
