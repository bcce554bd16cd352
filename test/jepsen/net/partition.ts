// Goal: network faults between the namespaces of a NetworkLab, with iptables. Method: each
// namespace has its own netfilter tables; we add one chain, RAFTKV-NEMESIS, jumped to first from
// INPUT and OUTPUT, and put every fault rule in it. `heal()` flushes only that chain, so it can never
// remove someone else's rule. A fault is a set of directed links (links.ts); a link from→to is
// enforced where `to` receives (its INPUT, matching the source address), or, when `to` is the test
// client on the host (whose tables we never touch), in the sender's OUTPUT, matching the
// destination. Rules for one namespace go in with one `iptables-restore --noflush`, so each node
// sees a fault appear at once rather than rule by rule.
//
// Two link semantics:
// - 'drop': every packet from→to is dropped. A two-way cut is both directions of this.
// - 'one-way' (blockOneWay): `from` can neither open nor use connections that `from` initiates to
//   `to`; connections that `to` initiates to `from` keep working in both directions. Implemented
//   as a drop of packets from `from` whose conntrack direction is ORIGINAL. This is the TCP-level
//   meaning of "messages from A to B are lost" for a transport where each node dials its peers: a
//   packet-level one-way drop would also kill B→A connections (their SYN-ACKs and ACKs from A are
//   lost) and so act like a two-way cut. Conntrack is switched on in each namespace at install
//   time (it is otherwise enabled lazily, and a connection first seen mid-stream could get its
//   direction backwards).
import type { NodeId } from '../../../src/shared/ids.js';
import { isolateLinks, linkName, linksBetweenGroups, uniqueLinks, type DirectedLink, type Peer } from './links.js';
import type { NetworkLab } from './netns.js';

export const nemesisChain = 'RAFTKV-NEMESIS';

export type LinkSemantics = 'drop' | 'one-way';

export interface BlockedLink extends DirectedLink {
  readonly semantics: LinkSemantics;
}

export type NetFaultKind = 'isolate' | 'partition' | 'links' | 'one-way' | 'heal';

/** One line of the nemesis log: what was applied, and when on the history's clock. */
export interface NetFaultRecord {
  /** From the same monotonic clock as the history (`process.hrtime.bigint()` by default). */
  readonly timeNs: bigint;
  readonly kind: NetFaultKind;
  /** Links as "from->to", e.g. "1->client"; empty for heal. */
  readonly links: readonly string[];
}

export interface IptablesRule {
  /** The namespace (node) whose tables hold the rule. */
  readonly node: NodeId;
  /** Arguments after `-A <chain>`. */
  readonly match: readonly string[];
}

/** Where and how a blocked link is enforced. Pure; exported for unit tests. */
export function ruleFor(link: BlockedLink, addressOf: (peer: Peer) => string): IptablesRule {
  const oneWay = link.semantics === 'one-way' ? ['-m', 'conntrack', '--ctdir', 'ORIGINAL'] : [];
  if (link.to !== 'client') {
    return { node: link.to, match: ['-s', `${addressOf(link.from)}/32`, ...oneWay, '-j', 'DROP'] };
  }
  if (link.from === 'client') throw new Error('Cannot block a link from the client to itself');
  return { node: link.from, match: ['-d', `${addressOf('client')}/32`, ...oneWay, '-j', 'DROP'] };
}

/** `iptables-restore --noflush` input appending `rules` to our chain. */
export function restoreScript(rules: readonly IptablesRule[]): string {
  const lines = rules.map((rule) => ['-A', nemesisChain, ...rule.match].join(' '));
  return ['*filter', ...lines, 'COMMIT', ''].join('\n');
}

export interface NetworkNemesisOptions {
  readonly now?: () => bigint;
}

export class NetworkNemesis {
  private readonly blocked: BlockedLink[] = [];
  private readonly records: NetFaultRecord[] = [];
  private readonly now: () => bigint;

  private constructor(
    private readonly lab: NetworkLab,
    options: NetworkNemesisOptions,
  ) {
    this.now = options.now ?? (() => process.hrtime.bigint());
  }

  /** Creates our chain in every namespace. Call before nodes start (see conntrack note above). */
  static async install(lab: NetworkLab, options: NetworkNemesisOptions = {}): Promise<NetworkNemesis> {
    const nemesis = new NetworkNemesis(lab, options);
    for (const node of lab.nodes) {
      await nemesis.iptables(node, ['-N', nemesisChain]);
      await nemesis.iptables(node, ['-I', 'INPUT', '1', '-j', nemesisChain]);
      await nemesis.iptables(node, ['-I', 'OUTPUT', '1', '-j', nemesisChain]);
      // A target-less rule only counts packets; it exists to keep conntrack on from the start.
      await nemesis.iptables(node, ['-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'INVALID']);
    }
    return nemesis;
  }

  get log(): readonly NetFaultRecord[] {
    return this.records;
  }

  /** Links currently blocked, in the order they were applied. */
  get blockedLinks(): readonly BlockedLink[] {
    return this.blocked;
  }

  /** Two-way cut between `nodes` and the peers of `from` that are not in `nodes`. */
  isolate(nodes: readonly Peer[], from: readonly Peer[]): Promise<void> {
    return this.apply('isolate', isolateLinks(nodes, from), 'drop');
  }

  /** Two-way cut between every pair of groups. A peer in no group keeps all its links. */
  partition(groups: readonly (readonly Peer[])[]): Promise<void> {
    return this.apply('partition', linksBetweenGroups(groups), 'drop');
  }

  /** Drops every packet on each of the given directed links (shapes from links.ts). */
  blockLinks(links: readonly DirectedLink[]): Promise<void> {
    return this.apply('links', links, 'drop');
  }

  /** `from` loses the connections it initiates to `to`; the reverse direction keeps working. */
  blockOneWay(from: Peer, to: Peer): Promise<void> {
    return this.apply('one-way', [{ from, to }], 'one-way');
  }

  /** Flushes our chain in every namespace. Faults add up until this is called. */
  async heal(): Promise<void> {
    for (const node of this.lab.nodes) await this.iptables(node, ['-F', nemesisChain]);
    this.blocked.length = 0;
    this.records.push({ timeNs: this.now(), kind: 'heal', links: [] });
  }

  private async apply(kind: NetFaultKind, links: readonly DirectedLink[], semantics: LinkSemantics): Promise<void> {
    const fresh = uniqueLinks(links).map((link): BlockedLink => ({ ...link, semantics }));
    const byNode = new Map<NodeId, IptablesRule[]>();
    for (const link of fresh) {
      const rule = ruleFor(link, (peer) => this.lab.addressOf(peer));
      byNode.set(rule.node, [...(byNode.get(rule.node) ?? []), rule]);
    }
    for (const [node, rules] of byNode) {
      await this.lab.exec(node, ['iptables-restore', '-w', '5', '--noflush'], { input: restoreScript(rules) });
    }
    this.blocked.push(...fresh);
    this.records.push({ timeNs: this.now(), kind, links: fresh.map(linkName) });
  }

  private async iptables(node: NodeId, args: readonly string[]): Promise<void> {
    await this.lab.exec(node, ['iptables', '-w', '5', ...args]);
  }
}
