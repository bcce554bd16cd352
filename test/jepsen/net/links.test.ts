// Goal: every partition shape cuts exactly the links its name promises. Method: pure checks of the
// link sets, and of where each blocked link becomes an iptables rule (no kernel needed).
import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import { SeededRng } from '../../../src/shared/rng.js';
import {
  bridgeLinks, isolateLinks, linkName, linksBetweenGroups, majorityRingLinks, randomHalves, uniqueLinks,
  type DirectedLink, type Peer,
} from './links.js';
import { nemesisChain, restoreScript, ruleFor } from './partition.js';

const n = (...ids: number[]): NodeId[] => ids.map(nodeId);
const names = (links: readonly DirectedLink[]): string[] => links.map(linkName).sort();

/** Peers each node can still reach, given the blocked links (symmetric shapes only). */
function reachable(nodes: readonly NodeId[], links: readonly DirectedLink[]): Map<NodeId, Set<NodeId>> {
  const blocked = new Set(links.map(linkName));
  return new Map(nodes.map((a) => [a, new Set(nodes.filter((b) => !blocked.has(linkName({ from: a, to: b }))))]));
}

describe('links', () => {
  it('linksBetweenGroups() cuts every cross-group pair both ways and nothing inside a group', () => {
    expect(names(linksBetweenGroups([n(1), n(2, 3)]))).toEqual(['1->2', '1->3', '2->1', '3->1']);
  });

  it('linksBetweenGroups() rejects a peer listed in two groups', () => {
    expect(() => linksBetweenGroups([n(1, 2), n(2, 3)])).toThrow(/two partition groups/);
  });

  it('isolateLinks() cuts the client like any other peer', () => {
    const peers: Peer[] = [...n(1, 2), 'client'];
    expect(names(isolateLinks(['client'], peers))).toEqual(['1->client', '2->client', 'client->1', 'client->2']);
  });

  it('randomHalves() is deterministic for a seed and gives the majority to the first half', () => {
    const a = randomHalves(n(1, 2, 3, 4, 5), new SeededRng(7));
    expect(randomHalves(n(1, 2, 3, 4, 5), new SeededRng(7))).toEqual(a);
    expect(a.map((half) => half.length)).toEqual([3, 2]);
    expect([...(a[0] ?? []), ...(a[1] ?? [])].sort()).toEqual(n(1, 2, 3, 4, 5));
  });

  it('majorityRingLinks() lets each of 5 nodes see a majority, no two the same one', () => {
    const nodes = n(1, 2, 3, 4, 5);
    const seen = reachable(nodes, majorityRingLinks(nodes));
    for (const peers of seen.values()) expect(peers.size).toBe(3);
    const majorities = new Set([...seen.values()].map((peers) => [...peers].sort().join(',')));
    expect(majorities.size).toBe(5);
  });

  it('bridgeLinks() leaves the middle node connected to both sides that cannot meet', () => {
    const seen = reachable(n(1, 2, 3, 4, 5), bridgeLinks(n(1, 2, 3, 4, 5)));
    expect([...(seen.get(nodeId(3)) ?? [])].sort()).toEqual(n(1, 2, 3, 4, 5));
    expect([...(seen.get(nodeId(1)) ?? [])].sort()).toEqual(n(1, 2, 3));
    expect([...(seen.get(nodeId(5)) ?? [])].sort()).toEqual(n(3, 4, 5));
  });

  it('uniqueLinks() drops repeats, keeping first-seen order', () => {
    const links = [...linksBetweenGroups([n(1), n(2)]), { from: nodeId(1), to: nodeId(2) }];
    expect(uniqueLinks(links).map(linkName)).toEqual(['1->2', '2->1']);
  });
});

describe('ruleFor()', () => {
  const addressOf = (peer: Peer): string => (peer === 'client' ? '10.77.9.1' : `10.77.9.${10 + peer}`);

  it('enforces a node-to-node drop at the receiver, by source address', () => {
    expect(ruleFor({ from: nodeId(1), to: nodeId(2), semantics: 'drop' }, addressOf)).toEqual({
      node: 2, match: ['-s', '10.77.9.11/32', '-j', 'DROP'],
    });
  });

  it('enforces a link into the client at the sending node, so host tables stay untouched', () => {
    expect(ruleFor({ from: nodeId(3), to: 'client', semantics: 'drop' }, addressOf)).toEqual({
      node: 3, match: ['-d', '10.77.9.1/32', '-j', 'DROP'],
    });
  });

  it('matches only the ORIGINAL conntrack direction for a one-way link', () => {
    const rule = ruleFor({ from: 'client', to: nodeId(1), semantics: 'one-way' }, addressOf);
    expect(rule.match).toEqual(['-s', '10.77.9.1/32', '-m', 'conntrack', '--ctdir', 'ORIGINAL', '-j', 'DROP']);
  });

  it('restoreScript() only appends to our chain and commits once', () => {
    const script = restoreScript([{ node: nodeId(1), match: ['-s', '10.77.9.12/32', '-j', 'DROP'] }]);
    expect(script).toBe(`*filter\n-A ${nemesisChain} -s 10.77.9.12/32 -j DROP\nCOMMIT\n`);
  });
});
