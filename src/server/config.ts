/**
 * Server configuration: defaults, then a JSON config file, then RAFTKV_* environment variables,
 * then command-line flags (later wins). Everything is validated once at start, and every problem
 * is reported with the setting's name and where it came from, so a bad deployment fails fast
 * with a message an operator can act on.
 */
import { readFileSync } from 'node:fs';
import { isLoopbackAddress } from './listen-policy.js';
import { defaultPeerAddress, isMemberRecord } from '../shared/member-address.js';

export interface ServerConfig {
  readonly nodeId: number;
  readonly clusterId: string;
  /** host:port the client port binds (Kv and Cluster services). */
  readonly listen: string;
  /** host:port clients should dial; defaults to `listen`. */
  readonly advertise: string;
  /** host:port the peer port binds (Raft service only); defaults to `listen`'s port + 1000. */
  readonly peerListen: string;
  /** host:port other nodes dial for Raft traffic; defaults to `peerListen` if given, else `advertise`'s port + 1000. */
  readonly peerAdvertise: string;
  /**
   * Founding members (id -> member record: `client` or `client@peer`, src/shared/member-address.ts),
   * including this node unless it joins later.
   */
  readonly peers: ReadonlyMap<number, string>;
  readonly dataDir: string;
  /** Start empty and wait to be added by a membership change, instead of founding the cluster. */
  readonly join: boolean;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly logLevel: string;
  /** Largest gRPC request accepted, in bytes. */
  readonly requestBytesMax: number;
  /** Client writes waiting for commit on this node (all groups) before new ones get RESOURCE_EXHAUSTED. */
  readonly pendingProposalsMax: number;
  /** Linearizable and lease reads waiting on this node (all groups) before new ones get RESOURCE_EXHAUSTED. */
  readonly pendingReadsMax: number;
  /** Deadline applied when a client sets none. */
  readonly defaultDeadlineMs: number;
  readonly sessionTtlMs: number;
  /** Applied entries past the last snapshot before a new snapshot compacts the log. */
  readonly snapshotEntries: number;
  /** Or bytes of entry data logged since the last snapshot, whichever comes first. */
  readonly snapshotLogBytes: number;
  /** Serve reads from the leader's lease, without a heartbeat round (opt-in; see docs). */
  readonly leaseReads: boolean;
  /** Data groups a new cluster is founded with (default 16; 0: one unsharded group 0, as etcd). */
  readonly groups: number;
  /** Replicas of each data group. */
  readonly replicas: number;
  /** Move each group's leadership to its preferred replica, spreading leaders evenly. */
  readonly balanceLeaders: boolean;
  /** Let idle data groups stop heartbeating (sharded clusters only; see docs/sharding.md). */
  readonly quiesce: boolean;
  /**
   * Space quota: bytes the node's database may use (SQLite pages in use) before a NOSPACE alarm
   * refuses writes that add data; 0 turns it off.
   */
  readonly quotaBytes: number;
  /** How often each group's leader asks its replicas to compare state hashes; 0: never (docs/node.md). */
  readonly hashCheckIntervalMs: number;
  /** Lifetime of an auth token (docs/auth.md); every node accepts a token until it expires. */
  readonly authTokenTtlMs: number;
  /** TLS files; undefined: plaintext (allowed on loopback, or anywhere with --insecure-listen). */
  readonly tls: TlsSettings | undefined;
  /** Listen on a non-loopback address without TLS (logged loudly). */
  readonly insecureListen: boolean;
  /** host:port of the HTTP listener for /metrics, /livez and /readyz; undefined: none. */
  readonly metricsListen: string | undefined;
}

/**
 * The node's certificate and key (PEM files, reloaded when they change) and the CA that client
 * and peer certificates must chain to. The same certificate serves the client port and, as both
 * server and client certificate, the mutual-TLS peer port.
 */
export interface TlsSettings {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle for verifying client certificates and peers; required for the peer port. */
  readonly caFile: string | undefined;
  /** Require every client of the client port to present a certificate signed by `caFile`. */
  readonly clientCertAuth: boolean;
}

/** Smallest nonzero --quota-bytes: below it a fresh node's own schema and Raft state would trip it. */
export const QUOTA_BYTES_MIN = 1024 * 1024;

export const defaultServerConfig = {
  clusterId: 'raftkv',
  dataDir: './data',
  join: false,
  tickMs: 50,
  electionTicks: 10,
  heartbeatTicks: 1,
  logLevel: 'info',
  requestBytesMax: 4 * 1024 * 1024,
  pendingProposalsMax: 10_000,
  pendingReadsMax: 10_000,
  defaultDeadlineMs: 5_000,
  sessionTtlMs: 10 * 60_000,
  // etcd's default snapshot count. A snapshot copies the group's whole state, so rarer is cheaper
  // per write; the byte bound keeps the log small when entries are large.
  snapshotEntries: 100_000,
  snapshotLogBytes: 64 * 1024 * 1024,
  leaseReads: false,
  groups: 16,
  replicas: 3,
  balanceLeaders: true,
  quiesce: true,
  // etcd's default backend quota: large enough that nobody meets it by accident, small enough
  // that a node refuses writes long before a typical disk fills.
  quotaBytes: 2 * 1024 * 1024 * 1024,
  hashCheckIntervalMs: 60_000,
  authTokenTtlMs: 300_000,
  clientCertAuth: false,
  insecureListen: false,
} as const;

type Raw = Record<string, unknown>;
type Source = { readonly name: string; readonly values: Raw };

const FLAG_NAMES: Record<string, string> = {
  'node-id': 'nodeId', 'cluster-id': 'clusterId', listen: 'listen', advertise: 'advertise', peers: 'peers',
  'data-dir': 'dataDir', join: 'join', 'tick-ms': 'tickMs', 'election-ticks': 'electionTicks',
  'heartbeat-ticks': 'heartbeatTicks', 'log-level': 'logLevel', 'request-bytes-max': 'requestBytesMax',
  'pending-proposals-max': 'pendingProposalsMax', 'pending-reads-max': 'pendingReadsMax', 'default-deadline-ms': 'defaultDeadlineMs',
  'session-ttl-ms': 'sessionTtlMs', 'snapshot-entries': 'snapshotEntries', 'snapshot-log-bytes': 'snapshotLogBytes', 'lease-reads': 'leaseReads',
  groups: 'groups', replicas: 'replicas', 'balance-leaders': 'balanceLeaders', quiesce: 'quiesce',
  'quota-bytes': 'quotaBytes',
  'hash-check-interval-ms': 'hashCheckIntervalMs',
  'auth-token-ttl-ms': 'authTokenTtlMs',
  'tls-cert': 'tlsCert', 'tls-key': 'tlsKey', 'tls-ca': 'tlsCa', 'client-cert-auth': 'clientCertAuth',
  'insecure-listen': 'insecureListen', 'metrics-listen': 'metricsListen',
  'peer-listen': 'peerListen', 'peer-advertise': 'peerAdvertise',
};

const BOOLEAN_FLAGS = new Set(['join', 'lease-reads', 'balance-leaders', 'quiesce', 'client-cert-auth', 'insecure-listen']);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses `--name value`, `--name=value` and bare boolean `--join`; returns the config file path too. */
export function parseFlags(argv: readonly string[]): { values: Raw; configFile: string | undefined } {
  const values: Raw = {};
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new ConfigError(`Unexpected argument "${arg}": flags look like --name value`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const isBool = BOOLEAN_FLAGS.has(name);
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (value === undefined && !isBool) value = argv[++i];
    if (value === undefined && isBool) value = 'true';
    if (value === undefined) throw new ConfigError(`Flag --${name} needs a value`);
    if (name === 'config') configFile = value;
    else if (FLAG_NAMES[name] !== undefined) values[FLAG_NAMES[name]] = value;
    else throw new ConfigError(`Unknown flag --${name}; known flags: --config, ${Object.keys(FLAG_NAMES).map((f) => `--${f}`).join(', ')}`);
  }
  return { values, configFile };
}

export function envValues(env: NodeJS.ProcessEnv): Raw {
  const values: Raw = {};
  for (const [flag, key] of Object.entries(FLAG_NAMES)) {
    const value = env[`RAFTKV_${flag.toUpperCase().replace(/-/g, '_')}`];
    if (value !== undefined && value !== '') values[key] = value;
  }
  return values;
}

export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  const flags = parseFlags(argv);
  const configFile = flags.configFile ?? env['RAFTKV_CONFIG'];
  const sources: Source[] = [{ name: 'defaults', values: { ...defaultServerConfig } }];
  if (configFile !== undefined) sources.push({ name: `config file ${configFile}`, values: readConfigFile(configFile) });
  sources.push({ name: 'environment', values: envValues(env) }, { name: 'flags', values: flags.values });
  return validate(sources);
}

function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file "${path}": ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`Cannot parse config file "${path}" as JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Config file "${path}" must hold a JSON object`);
  }
  const known = new Set(Object.values(FLAG_NAMES));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`Unknown setting "${key}" in config file "${path}"`);
  }
  return parsed as Raw;
}

/** Finds each setting's winning source, then converts and checks it. */
function validate(sources: readonly Source[]): ServerConfig {
  const pick = (key: string): { value: unknown; from: string } | undefined => {
    for (let i = sources.length - 1; i >= 0; i--) {
      const source = sources[i];
      if (source !== undefined && source.values[key] !== undefined) return { value: source.values[key], from: source.name };
    }
    return undefined;
  };
  const int = (key: string, min: number, max = Number.MAX_SAFE_INTEGER): number => toInt(key, pick(key), min, max);
  const str = (key: string): string => toStr(key, pick(key));
  const bool = (key: string): boolean => toBool(key, pick(key));
  const listen = str('listen');
  checkAddress('listen', listen);
  const advertise = pick('advertise') === undefined ? listen : str('advertise');
  checkAddress('advertise', advertise);
  const { peerListen, peerAdvertise } = peerAddressSettings(listen, advertise, pick);
  const nodeId = int('nodeId', 1);
  const peers = toPeers(pick('peers'));
  const join = bool('join');
  if (!join && !peers.has(nodeId)) {
    throw new ConfigError(`Setting peers must include this node (${nodeId}) unless --join is set`);
  }
  const electionTicks = int('electionTicks', 2, 1000);
  const heartbeatTicks = int('heartbeatTicks', 1, 1000);
  if (heartbeatTicks >= electionTicks) {
    throw new ConfigError(`Setting heartbeatTicks (${heartbeatTicks}) must be below electionTicks (${electionTicks})`);
  }
  return {
    nodeId, clusterId: str('clusterId'), listen, advertise, peerListen, peerAdvertise, peers, dataDir: str('dataDir'), join,
    tickMs: int('tickMs', 1, 60_000), electionTicks, heartbeatTicks, logLevel: toLevel(pick('logLevel')),
    requestBytesMax: int('requestBytesMax', 64 * 1024, 64 * 1024 * 1024),
    pendingProposalsMax: int('pendingProposalsMax', 1), pendingReadsMax: int('pendingReadsMax', 1), defaultDeadlineMs: int('defaultDeadlineMs', 1),
    sessionTtlMs: int('sessionTtlMs', 1000), snapshotEntries: int('snapshotEntries', 10), snapshotLogBytes: int('snapshotLogBytes', 64 * 1024), leaseReads: bool('leaseReads'),
    groups: int('groups', 0, 4096), replicas: int('replicas', 1, 7), balanceLeaders: bool('balanceLeaders'),
    quiesce: bool('quiesce'), quotaBytes: quota(pick('quotaBytes')),
    hashCheckIntervalMs: int('hashCheckIntervalMs', 0, 24 * 3_600_000),
    authTokenTtlMs: int('authTokenTtlMs', 1000, 24 * 3_600_000),
    ...listenSecurity({ listen, peerListen }, tlsSettings(pick), bool('insecureListen')),
    metricsListen: optionalAddress('metricsListen', pick),
  };
}

function optionalAddress(key: string, pick: (key: string) => Picked): string | undefined {
  if (pick(key) === undefined) return undefined;
  const address = toStr(key, pick(key));
  checkAddress(key, address);
  return address;
}

/** Plaintext is for loopback; elsewhere it takes TLS or an explicit --insecure-listen. */
function listenSecurity(listens: Readonly<Record<string, string>>, tls: TlsSettings | undefined, insecureListen: boolean): { tls: TlsSettings | undefined; insecureListen: boolean } {
  if (tls !== undefined || insecureListen) return { tls, insecureListen };
  for (const [key, address] of Object.entries(listens)) {
    // The peer port too: a plaintext peer port lets anyone who reaches it send Raft messages.
    if (isLoopbackAddress(address)) continue;
    throw new ConfigError(`Setting ${key} "${address}" is not a loopback address and TLS is off, so anyone who can reach it could read and change all data: `
      + 'set tlsCert and tlsKey (--tls-cert, --tls-key), or pass --insecure-listen to serve plaintext anyway');
  }
  return { tls, insecureListen };
}

/** TLS is on when a certificate is given; a certificate needs its key, and client auth needs a CA. */
function tlsSettings(pick: (key: string) => Picked): TlsSettings | undefined {
  const file = (key: string): string | undefined => (pick(key) === undefined ? undefined : toStr(key, pick(key)));
  const certFile = file('tlsCert');
  const keyFile = file('tlsKey');
  const caFile = file('tlsCa');
  const clientCertAuth = toBool('clientCertAuth', pick('clientCertAuth'));
  if (certFile === undefined || keyFile === undefined) {
    const given = ['tlsCert', 'tlsKey', 'tlsCa'].filter((k) => pick(k) !== undefined);
    if (given.length > 0 || clientCertAuth) {
      throw new ConfigError(`Settings tlsCert and tlsKey go together (TLS is on when both are set); got only ${[...given, ...(clientCertAuth ? ['clientCertAuth'] : [])].join(', ')}`);
    }
    return undefined;
  }
  if (clientCertAuth && caFile === undefined) throw new ConfigError('Setting clientCertAuth needs tlsCa: the CA that client certificates must chain to');
  return { certFile, keyFile, caFile, clientCertAuth };
}

type Picked = { value: unknown; from: string } | undefined;

/**
 * The peer port. Without --peer-listen it is the client port + 1000 on the same host, so a
 * one-flag `raftkv serve --listen H:P` start (and every older deployment restarted with the same
 * flags) keeps working, and its peers find it by the same rule (member-address.ts). Its advertised
 * address follows --peer-listen when that is given, else --advertise by the same rule (so
 * `--listen 0.0.0.0:7001 --advertise n1:7001` advertises n1:8001, not 0.0.0.0:8001).
 */
function peerAddressSettings(listen: string, advertise: string, pick: (key: string) => Picked): { peerListen: string; peerAdvertise: string } {
  let peerListen: string;
  if (pick('peerListen') === undefined) {
    const derived = defaultPeerAddress(listen);
    if (derived === undefined) throw new ConfigError(`Setting peerListen is required: listen "${listen}" has no port + 1000 to default to`);
    peerListen = derived;
  } else {
    peerListen = toStr('peerListen', pick('peerListen'));
  }
  checkAddress('peerListen', peerListen);
  const fallback = pick('peerListen') === undefined ? defaultPeerAddress(advertise) ?? peerListen : peerListen;
  const peerAdvertise = pick('peerAdvertise') === undefined ? fallback : toStr('peerAdvertise', pick('peerAdvertise'));
  checkAddress('peerAdvertise', peerAdvertise);
  if (peerListen === listen && !listen.endsWith(':0')) throw new ConfigError(`Setting peerListen must differ from listen ("${listen}"): the peer port is a port of its own`);
  return { peerListen, peerAdvertise };
}

function quota(picked: Picked): number {
  const bytes = toInt('quotaBytes', picked, 0, Number.MAX_SAFE_INTEGER);
  if (bytes !== 0 && bytes < QUOTA_BYTES_MIN) {
    throw new ConfigError(`Setting quotaBytes from ${picked?.from ?? 'defaults'} must be 0 (off) or at least ${QUOTA_BYTES_MIN}, got "${String(picked?.value)}"`);
  }
  return bytes;
}

function toInt(key: string, picked: Picked, min: number, max: number): number {
  if (picked === undefined) throw new ConfigError(`Setting ${key} is required`);
  const n = typeof picked.value === 'number' ? picked.value : Number(picked.value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`Setting ${key} from ${picked.from} must be an integer in [${min}, ${max}], got "${String(picked.value)}"`);
  }
  return n;
}

function toStr(key: string, picked: Picked): string {
  if (picked === undefined) throw new ConfigError(`Setting ${key} is required`);
  if (typeof picked.value !== 'string' || picked.value.length === 0) {
    throw new ConfigError(`Setting ${key} from ${picked.from} must be a non-empty string`);
  }
  return picked.value;
}

function toBool(key: string, picked: Picked): boolean {
  const v = picked?.value;
  if (v === true || v === 'true' || v === '1') return true;
  if (v === false || v === 'false' || v === '0' || v === undefined) return false;
  throw new ConfigError(`Setting ${key} from ${picked?.from ?? 'defaults'} must be true or false, got "${String(v)}"`);
}

function toLevel(picked: Picked): string {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  const v = String(picked?.value ?? 'info');
  if (!levels.includes(v)) throw new ConfigError(`Setting logLevel from ${picked?.from} must be one of ${levels.join(', ')}, got "${v}"`);
  return v;
}

function checkAddress(key: string, address: string): void {
  const match = /^(.+):(\d+)$/.exec(address);
  const port = Number(match?.[2]);
  if (match === null || !(port >= 0 && port <= 65535)) {
    throw new ConfigError(`Setting ${key} must look like host:port, got "${address}"`);
  }
}

/** `--peers` text (`1=host:port,2=host:port`, each optionally `@peerhost:port`), checked as serve checks it. */
export function parsePeers(text: string): Map<number, string> {
  return toPeers({ value: text, from: 'flags' });
}

/**
 * `1=host:port,2=host:port` or a JSON object / array of { id, address }; an address may name the
 * member's peer port after an `@` (`1=a:7001@a:8001`), else the peer port is the client port + 1000.
 */
function toPeers(picked: Picked): Map<number, string> {
  const peers = new Map<number, string>();
  if (picked === undefined) return peers;
  const entries: [string, unknown][] = typeof picked.value === 'string'
    ? picked.value.split(',').filter((s) => s.trim() !== '').map((pair) => {
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq).trim(), eq < 0 ? undefined : pair.slice(eq + 1).trim()];
    })
    : Object.entries(picked.value as Raw);
  for (const [idText, address] of entries) {
    const id = Number(idText);
    if (!Number.isSafeInteger(id) || id < 1 || typeof address !== 'string') {
      throw new ConfigError(`Setting peers from ${picked.from} must look like "1=host:port,2=host:port", got "${String(picked.value)}"`);
    }
    if (!isMemberRecord(address, /^.+:\d{1,5}$/)) {
      throw new ConfigError(`Setting peers[${id}] from ${picked.from} must look like host:port or host:port@peerhost:peerport, got "${address}"`);
    }
    for (const part of address.split('@')) checkAddress(`peers[${id}]`, part);
    peers.set(id, address);
  }
  return peers;
}
