// Network faults as data: every partition shape is reduced to a set of directed blocked links, so
// one code path installs them, the nemesis log shows exactly what was cut, and tests can check a
// shape without touching a kernel. Pure: randomness comes in through a seeded Rng.
import { assert } from '../../../src/shared/assert.js';
import type { NodeId } from '../../../src/shared/ids.js';
import type { Rng } from '../../../src/shared/rng.js';

/** A node, or the test process (the clients), which sits on the host end of the bridge. */
export type Peer = NodeId | 'client';

export interface DirectedLink {
  readonly from: Peer;
  readonly to: Peer;
}

export const linkName = (link: DirectedLink): string => `${String(link.from)}->${String(link.to)}`;

/** Every link between peers of different groups, both directions. Peers must be in one group only. */
export function linksBetweenGroups(groups: readonly (readonly Peer[])[]): DirectedLink[] {
  const seen = new Set<Peer>();
  for (const peer of groups.flat()) {
    assert(!seen.has(peer), `Peer ${String(peer)} appears in two partition groups`);
    seen.add(peer);
  }
  const links: DirectedLink[] = [];
  groups.forEach((group, i) => {
    groups.forEach((other, j) => {
      if (i === j) return;
      for (const from of group) for (const to of other) links.push({ from, to });
    });
  });
  return links;
}

/** Cuts `nodes` off from `from`, both directions (e.g. the leader from everyone else). */
export function isolateLinks(nodes: readonly Peer[], from: readonly Peer[]): DirectedLink[] {
  const others = from.filter((peer) => !nodes.includes(peer));
  return linksBetweenGroups([nodes, others]);
}

/** Fisher-Yates with the seeded generator, so a seed always yields the same split. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
}

/** Random halves; the first is the larger for odd sizes (so one side keeps a majority). */
export function randomHalves(nodes: readonly NodeId[], rng: Rng): NodeId[][] {
  const order = shuffled(nodes, rng);
  const cut = Math.ceil(order.length / 2);
  return [order.slice(0, cut), order.slice(cut)];
}

/**
 * Majority ring: nodes sit on a ring in `order`; each keeps links only to its nearest neighbours,
 * enough that it sees a majority (itself included) while no two nodes see the same majority. Every
 * node could then win an election with its own quorum, which is what the fault is for. Symmetric:
 * a kept link is kept both ways. Degenerate (nothing cut) below 4 nodes.
 */
export function majorityRingLinks(order: readonly NodeId[]): DirectedLink[] {
  const n = order.length;
  const majority = Math.floor(n / 2) + 1;
  const reach = Math.ceil((majority - 1) / 2); // neighbours kept on each side
  const links: DirectedLink[] = [];
  order.forEach((from, i) => {
    order.forEach((to, j) => {
      const distance = Math.min(Math.abs(i - j), n - Math.abs(i - j));
      if (i !== j && distance > reach) links.push({ from, to });
    });
  });
  return links;
}

/**
 * Bridge: two halves that cannot talk to each other, plus one node that talks to both. The bridge
 * node is `order[floor(n/2)]`; everything before it is one side, everything after the other.
 */
export function bridgeLinks(order: readonly NodeId[]): DirectedLink[] {
  const middle = Math.floor(order.length / 2);
  return linksBetweenGroups([order.slice(0, middle), order.slice(middle + 1)]);
}

/** De-duplicates links (e.g. two overlapping isolations) keeping first-seen order. */
export function uniqueLinks(links: readonly DirectedLink[]): DirectedLink[] {
  const byName = new Map<string, DirectedLink>();
  for (const link of links) if (!byName.has(linkName(link))) byName.set(linkName(link), link);
  return [...byName.values()];
}
