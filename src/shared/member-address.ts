/**
 * A member's addresses as one string, the form membership records have always stored: the client
 * address, and the peer (Raft) address after an `@` when it is not the default one. A record
 * without `@` (all data written before the peer port existed, and every member started with the
 * default) means the peer port is the client port + PEER_PORT_OFFSET, the default of
 * `--peer-listen`; so an old cluster restarted with defaults still finds its peers.
 *
 * What clients see (leader hints, the shard map, member lists) is only ever the client part.
 */

/** Default peer port: the client port plus this, on the same host. */
export const PEER_PORT_OFFSET = 1000;

const HOST_PORT = /^(.+):(\d{1,5})$/;

/** `host:(port + 1000)`, or undefined when `address` is not host:port or the port would pass 65535. */
export function defaultPeerAddress(address: string): string | undefined {
  const match = HOST_PORT.exec(address);
  if (match === null) return undefined;
  const port = Number(match[2]);
  // Port 0 asks the OS for any port: the peer port is then any port too.
  if (port === 0) return `${match[1] ?? ''}:0`;
  const peerPort = port + PEER_PORT_OFFSET;
  return peerPort > 65535 ? undefined : `${match[1] ?? ''}:${peerPort}`;
}

/** The client part of a member record. */
export function clientAddressOf(record: string): string {
  const at = record.indexOf('@');
  return at < 0 ? record : record.slice(0, at);
}

/** The peer part of a member record; a record without one falls back to the default rule. */
export function peerAddressOf(record: string): string {
  const at = record.indexOf('@');
  if (at >= 0) return record.slice(at + 1);
  return defaultPeerAddress(record) ?? record;
}

/** The record for a member with these addresses: the peer part only when it is not the default. */
export function memberRecord(client: string, peer: string): string {
  return defaultPeerAddress(client) === peer ? client : `${client}@${peer}`;
}

/** Checks a record's shape: host:port, or host:port@host:port. */
export function isMemberRecord(text: string, hostPort: RegExp): boolean {
  const at = text.indexOf('@');
  if (at < 0) return hostPort.test(text);
  return hostPort.test(text.slice(0, at)) && hostPort.test(text.slice(at + 1));
}

/** Every record of a map as its peer address, for the transport. */
export function peerAddresses<K>(records: ReadonlyMap<K, string>): Map<K, string> {
  return new Map([...records].map(([id, record]) => [id, peerAddressOf(record)]));
}
