// Where the nodes of a fault run live and how their links are cut. Two backends behind one
// interface:
// - 'netns' (root): a NetworkLab, one namespace per node at 10.77.S.(10+i), all listening on the
//   same port; faults are iptables rules (NetworkNemesis). The test process reaches nodes through
//   the host end of the bridge, as a real client would.
// - 'proxy' (no root, the documented fallback of ../net/README.md): nodes listen on loopback ports
//   and dial each peer through a ProxyMesh link proxy; faults stall those proxies. Clients also go
//   through proxies ('client' -> node). Client and peer ports have a mesh each, cut together.
//   Limitation: a node re-added by a membership change is
//   recorded with its real address, so links to it bypass the proxies from then on.
import type { NodeId } from '../../../src/shared/ids.js';
import { directSpawner, type Spawner } from '../../support/serve-process.js';
import { freePorts } from '../../support/ports.js';
import { realNetworkCapability } from '../net/capability.js';
import { isolateLinks, linkName, linksBetweenGroups, type DirectedLink, type Peer } from '../net/links.js';
import { cleanupStale, NetworkLab } from '../net/netns.js';
import { NetworkNemesis } from '../net/partition.js';
import { ProxyMesh } from '../net/proxy-mesh.js';
import type { NetworkFaults } from '../nemesis/runner.js';

export type NetMode = 'netns' | 'proxy';

export interface NetFaultEntry {
  readonly timeNs: bigint;
  readonly kind: string;
  readonly links: readonly string[];
}

export interface NetBackend {
  readonly mode: NetMode;
  readonly faults: NetworkFaults;
  /** What node `node` binds for clients. */
  listenAddress(node: NodeId): string;
  /** What node `node` binds for peers (`--peer-listen`). */
  peerListenAddress(node: NodeId): string;
  /** How `node` dials each founding member, as `client@peer` records (itself included, at its listen addresses). */
  peersFor(node: NodeId): Map<number, string>;
  /** The client address `node` advertises (`--advertise`). */
  advertiseAddress(node: NodeId): string;
  /** The member record (`client@peer`) for `node` when it is added back to the cluster. */
  memberAddress(node: NodeId): string;
  /** How the test process dials `node`. */
  clientAddress(node: NodeId): string;
  /** How the test process dials `node`'s peer port (the forge nemesis). */
  peerAddress(node: NodeId): string;
  spawner(node: NodeId): Spawner;
  faultLog(): readonly NetFaultEntry[];
  teardown(): Promise<void>;
}

const nodePort = 7000;
const nodePeerPort = 8000;

/** 'auto' picks netns when this process may create namespaces, else says why and uses proxies. */
export function chooseMode(requested: NetMode | 'auto', warn: (text: string) => void): NetMode {
  const capability = realNetworkCapability();
  if (requested === 'netns' && !capability.ok) throw new Error(`Cannot use --net netns: ${capability.reason}`);
  if (requested !== 'auto') return requested;
  if (capability.ok) return 'netns';
  warn(`[jepsen] real network namespaces unavailable (${capability.reason}); FALLING BACK to proxy mode: ` +
    'nodes on loopback, every link through a userspace proxy (see test/jepsen/README.md)');
  return 'proxy';
}

export async function startNetBackend(mode: NetMode, nodes: readonly NodeId[]): Promise<NetBackend> {
  return mode === 'netns' ? startNetns(nodes) : startProxy(nodes);
}

async function startNetns(nodes: readonly NodeId[]): Promise<NetBackend> {
  await cleanupStale();
  const lab = await NetworkLab.create({ nodes });
  try {
    const nemesis = await NetworkNemesis.install(lab);
    const address = (node: NodeId): string => `${lab.addressOf(node)}:${nodePort}`;
    const peer = (node: NodeId): string => `${lab.addressOf(node)}:${nodePeerPort}`;
    const record = (node: NodeId): string => `${address(node)}@${peer(node)}`;
    return {
      mode: 'netns',
      faults: nemesis,
      listenAddress: address,
      peerListenAddress: peer,
      peersFor: () => new Map(nodes.map((n) => [n, record(n)])),
      advertiseAddress: address,
      memberAddress: record,
      clientAddress: address,
      peerAddress: peer,
      spawner: (node) => (argv, options) => lab.run(node, argv, options),
      faultLog: () => nemesis.log,
      teardown: () => lab.teardown(),
    };
  } catch (error) {
    await lab.teardown().catch(() => undefined);
    throw error;
  }
}

/** NetworkFaults over a ProxyMesh, with the same log NetworkNemesis keeps. */
class ProxyFaults implements NetworkFaults {
  readonly log: NetFaultEntry[] = [];
  constructor(private readonly meshes: readonly ProxyMesh[]) {}

  private block(kind: string, links: readonly DirectedLink[]): Promise<void> {
    for (const mesh of this.meshes) mesh.block(links);
    this.log.push({ timeNs: process.hrtime.bigint(), kind, links: links.map(linkName) });
    return Promise.resolve();
  }

  isolate(nodes: readonly Peer[], from: readonly Peer[]): Promise<void> {
    return this.block('isolate', isolateLinks(nodes, from));
  }

  partition(groups: readonly (readonly Peer[])[]): Promise<void> {
    return this.block('partition', linksBetweenGroups(groups));
  }

  blockLinks(links: readonly DirectedLink[]): Promise<void> {
    return this.block('links', links);
  }

  blockOneWay(from: Peer, to: Peer): Promise<void> {
    return this.block('one-way', [{ from, to }]);
  }

  heal(): Promise<void> {
    for (const mesh of this.meshes) mesh.heal();
    this.log.push({ timeNs: process.hrtime.bigint(), kind: 'heal', links: [] });
    return Promise.resolve();
  }
}

async function startProxy(nodes: readonly NodeId[]): Promise<NetBackend> {
  const ports = await freePorts(2 * nodes.length);
  const portOf = (node: NodeId, peer: boolean): number => ports[nodes.indexOf(node) + (peer ? nodes.length : 0)] ?? 0;
  const own = (node: NodeId): string => `127.0.0.1:${portOf(node, false)}`;
  const ownPeer = (node: NodeId): string => `127.0.0.1:${portOf(node, true)}`;
  const clientMesh = await ProxyMesh.start({ targets: nodes.map((node) => ({ node, host: '127.0.0.1', port: portOf(node, false) })) });
  const peerMesh = await ProxyMesh.start({ targets: nodes.map((node) => ({ node, host: '127.0.0.1', port: portOf(node, true) })) })
    .catch(async (error: unknown) => {
      await clientMesh.close();
      throw error;
    });
  const via = (mesh: ProxyMesh, from: Peer, to: NodeId): string => {
    const { host, port } = mesh.addressFor(from, to);
    return `${host}:${port}`;
  };
  const faults = new ProxyFaults([clientMesh, peerMesh]);
  return {
    mode: 'proxy',
    faults,
    listenAddress: own,
    peerListenAddress: ownPeer,
    peersFor: (node) => new Map(nodes.map((n) => [n, n === node ? `${own(n)}@${ownPeer(n)}` : `${via(clientMesh, node, n)}@${via(peerMesh, node, n)}`])),
    advertiseAddress: own,
    memberAddress: (node) => `${own(node)}@${ownPeer(node)}`,
    clientAddress: (node) => via(clientMesh, 'client', node),
    peerAddress: (node) => via(peerMesh, 'client', node),
    spawner: () => directSpawner,
    faultLog: () => faults.log,
    teardown: async () => {
      await clientMesh.close();
      await peerMesh.close();
    },
  };
}
