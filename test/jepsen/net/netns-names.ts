// Names and addresses of one test network, as pure functions. Every name embeds the creating
// process's pid, so `cleanupStale()` can tell leftovers of a crashed run (pid gone) from the live
// network of a concurrent run (another engineer's test on the same machine) and never touch the
// latter. Linux caps interface names at 15 bytes (IFNAMSIZ - 1), which shapes the format:
//   run id      <pid in base36, 5 chars><per-process counter, decimal>   e.g. "02n9k0"
//   bridge      rkv<run>             veths  rkv<run>h<i> (bridge side), rkv<run>p<i> (namespace side)
//   namespace   rkv-<run>-n<i>
// 36^5 > 2^22 (Linux pid_max), so 5 base36 chars hold any pid.
import { assert } from '../../../src/shared/assert.js';
import type { NodeId } from '../../../src/shared/ids.js';

export const namePrefix = 'rkv';
const interfaceNameBytesMax = 15;
const pidChars = 5;
/** Node i lives at 10.77.<subnet>.<hostOctetBase + i>; .1 is the host's end of the bridge. */
const hostOctetBase = 10;
export const nodeIdMax = 254 - hostOctetBase;

export interface RunNames {
  readonly runId: string;
  readonly bridge: string;
  namespace(node: NodeId): string;
  hostVeth(node: NodeId): string;
  nodeVeth(node: NodeId): string;
}

export function makeRunId(pid: number, counter: number): string {
  assert(Number.isSafeInteger(pid) && pid > 0 && pid < 36 ** pidChars, `Bad pid ${pid}`);
  assert(Number.isSafeInteger(counter) && counter >= 0, `Bad run counter ${counter}`);
  return pid.toString(36).padStart(pidChars, '0') + String(counter);
}

export function runNames(runId: string): RunNames {
  const names: RunNames = {
    runId,
    bridge: `${namePrefix}${runId}`,
    namespace: (node) => `${namePrefix}-${runId}-n${node}`,
    hostVeth: (node) => `${namePrefix}${runId}h${node}`,
    nodeVeth: (node) => `${namePrefix}${runId}p${node}`,
  };
  return names;
}

/** Asserts that every interface name of the run fits; called once per node before creating it. */
export function checkNameLengths(names: RunNames, node: NodeId): void {
  assert(node <= nodeIdMax, `Node id ${node} is above ${nodeIdMax}, past the /24 of the run`);
  const longest = names.hostVeth(node);
  assert(longest.length <= interfaceNameBytesMax, `Interface name "${longest}" is over 15 bytes`);
}

const interfacePattern = /^rkv([0-9a-z]{5})(\d+)(?:[hp]\d+)?$/;
const namespacePattern = /^rkv-([0-9a-z]{5})(\d+)-n\d+$/;

/** The pid that created a bridge/veth or namespace of ours, or undefined for foreign names. */
export function creatorPid(name: string): number | undefined {
  const match = interfacePattern.exec(name) ?? namespacePattern.exec(name);
  const pidText = match?.[1];
  if (pidText === undefined) return undefined;
  const pid = Number.parseInt(pidText, 36);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** The third octet of a /24 to use: a start derived from the run id, then the first free one. */
export function pickSubnetOctet(runId: string, usedOctets: ReadonlySet<number>): number {
  let hash = 0;
  for (const char of runId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  // Octets 1..254: skip .0 and .255 so no one mistakes a subnet for a network/broadcast number.
  for (let step = 0; step < 254; step++) {
    const octet = ((hash + step) % 254) + 1;
    if (!usedOctets.has(octet)) return octet;
  }
  throw new Error('Cannot pick a test subnet: all 254 /24s of 10.77.0.0/16 are in use');
}

/** Third octets of 10.77.x.y addresses in `ip -o -4 addr show` output. */
export function usedSubnetOctets(ipAddrOutput: string): Set<number> {
  const used = new Set<number>();
  for (const match of ipAddrOutput.matchAll(/\binet 10\.77\.(\d+)\.\d+\//g)) used.add(Number(match[1]));
  return used;
}

export const subnetPrefix = (octet: number): string => `10.77.${octet}`;
export const hostAddressIn = (prefix: string): string => `${prefix}.1`;
export const nodeAddressIn = (prefix: string, node: NodeId): string => `${prefix}.${hostOctetBase + node}`;
