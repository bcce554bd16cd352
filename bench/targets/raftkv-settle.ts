/**
 * A sharded raftkv cluster is not in its steady state when the first leader appears: the meta
 * leader's balancer then moves group leaderships to their preferred nodes, a couple per second,
 * and a write that meets a transfer is refused (OVERLOADED, NO_LEADER). Measuring during that
 * counts start-up, not load, so the load waits until leaderships are even: every group led, the
 * nodes' counts within one of each other, unchanged over a few polls of Cluster.NodeStats.
 */
import { fileURLToPath } from 'node:url';
import { GrpcEndpoint, loadUnaryMethods, requireMethod } from '../client/grpc-unary.js';
import { epochNowMs, sleep } from '../load/loops.js';

const protoRoot = fileURLToPath(new URL('../../proto/', import.meta.url));
const nodeStatsMethod = requireMethod(loadUnaryMethods(protoRoot, 'raftkv/v1/cluster.proto', 'raftkv.v1.Cluster'), 'NodeStats');

const pollMs = 500;
/** Polls in a row with the same even counts. */
const stablePolls = 4;

/** Leaderships per node, or null if a node did not answer. */
async function leadCounts(endpoints: readonly GrpcEndpoint[]): Promise<number[] | null> {
  try {
    return await Promise.all(endpoints.map(async (e) => Number((await e.call(nodeStatsMethod, {}, 1000))['groupsLed'] ?? 0)));
  } catch {
    return null;
  }
}

/** Even: all `groups` groups (the meta group included) led, and no node leads two more than another. */
export function evenLeaderships(counts: readonly number[], groups: number): boolean {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.length > 0 && total === groups && Math.max(...counts) - Math.min(...counts) <= 1;
}

/**
 * Resolves once leaderships are even and stable; after `timeoutMs` it resolves anyway with what it
 * saw, so a slow balancer shows up as a note in the run instead of failing it.
 */
export async function waitForEvenLeaderships(addresses: readonly string[], groups: number, timeoutMs: number): Promise<string | undefined> {
  const endpoints = addresses.map((address) => new GrpcEndpoint(address, 1));
  const deadline = epochNowMs() + timeoutMs;
  let last = '';
  let stable = 0;
  try {
    while (epochNowMs() < deadline) {
      const counts = await leadCounts(endpoints);
      const text = counts === null ? 'a node did not answer' : counts.join('/');
      stable = counts !== null && evenLeaderships(counts, groups) && text === last ? stable + 1 : 0;
      last = text;
      if (stable >= stablePolls - 1) return undefined;
      await sleep(pollMs);
    }
    return `leaderships not even after ${timeoutMs} ms (groups led per node: ${last}); measuring anyway`;
  } finally {
    endpoints.forEach((e) => e.close());
  }
}
