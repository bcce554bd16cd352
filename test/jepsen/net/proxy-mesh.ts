// Goal: network faults without root. The documented fallback when namespaces and iptables are not
// available: nodes listen on loopback ports, and each node dials each peer through its own
// LinkProxy (from→to), so every directed link can be delayed, blackholed or reset on its own.
// Clients dial through proxies too ('client'→node). The same mesh also carries delay faults in a
// NetworkLab: start it with `listenHost` = the lab's host address and point nodes at
// `addressFor(from, to)` instead of each other.
//
// Link semantics match `blockOneWay` in partition.ts: blocking from→to stalls the connections
// that `from` opens to `to` (both directions of them), and leaves to→from connections alone. A
// two-way cut blocks both proxies. Unlike iptables, the proxy cannot drop single packets, so a
// blocked connection stalls (connect succeeds, no bytes flow) instead of timing out at connect.
import { assert } from '../../../src/shared/assert.js';
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';
import { linkName, type DirectedLink, type Peer } from './links.js';
import { LinkProxy } from './proxy.js';

export interface MeshTarget {
  readonly node: NodeId;
  /** Where the node really listens, e.g. 127.0.0.1:<port>. */
  readonly host: string;
  readonly port: number;
}

export interface ProxyMeshOptions {
  readonly targets: readonly MeshTarget[];
  /** Proxies listen here; default 127.0.0.1. */
  readonly listenHost?: string;
  /** Also proxy client→node links (the test process's own connections). Default true. */
  readonly withClient?: boolean;
  readonly rng?: Rng;
}

export class ProxyMesh {
  private readonly proxies = new Map<string, LinkProxy>();

  private constructor(private readonly listenHost: string) {}

  static async start(options: ProxyMeshOptions): Promise<ProxyMesh> {
    const mesh = new ProxyMesh(options.listenHost ?? '127.0.0.1');
    const senders: Peer[] = options.targets.map((target) => target.node);
    if (options.withClient ?? true) senders.push('client');
    try {
      for (const target of options.targets) {
        for (const from of senders) {
          if (from === target.node) continue;
          const proxy = await LinkProxy.start({
            targetHost: target.host,
            targetPort: target.port,
            listenHost: mesh.listenHost,
            ...(options.rng === undefined ? {} : { rng: options.rng }),
          });
          mesh.proxies.set(linkName({ from, to: target.node }), proxy);
        }
      }
    } catch (error) {
      await mesh.close();
      throw error;
    }
    return mesh;
  }

  proxy(from: Peer, to: NodeId): LinkProxy {
    const proxy = this.proxies.get(linkName({ from, to }));
    assert(proxy !== undefined, `No proxy for link ${String(from)}->${to}`);
    return proxy;
  }

  /** Where `from` must dial to reach `to`. */
  addressFor(from: Peer, to: NodeId): { readonly host: string; readonly port: number } {
    return { host: this.listenHost, port: this.proxy(from, to).port };
  }

  /** Blackholes each link (links into 'client' do not exist here: clients only dial). */
  block(links: readonly DirectedLink[]): void {
    for (const link of links) {
      if (link.to === 'client') continue;
      this.proxy(link.from, link.to).setMode('blackhole');
    }
  }

  setDelay(delayMs: number, jitterMs = 0): void {
    for (const proxy of this.proxies.values()) proxy.setDelay(delayMs, jitterMs);
  }

  /** Every link back to 'pass' with no delay. */
  heal(): void {
    for (const proxy of this.proxies.values()) {
      proxy.setMode('pass');
      proxy.setDelay(0, 0);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.close()));
    this.proxies.clear();
  }
}
