/**
 * Who leads, seen from outside: every member's Status polled on its own schedule (one call in
 * flight per member, short deadline, so a paused or cut-off member only delays its own answers).
 * Keeps each change of a member's role or term with its time; the fault analysis reads "time to a
 * new leader" from that. Also used to wait for the first leader after start.
 */
import type { TargetProtocol } from '../client/adapter.js';
import { GrpcEndpoint } from '../client/grpc-unary.js';
import { sleep } from '../load/loops.js';

export interface LeaderObservation {
  readonly atMs: number;
  readonly node: number;
  readonly reachable: boolean;
  readonly isLeader: boolean;
  readonly term: number;
}

const statusDeadlineMs = 250;

export class LeaderWatch {
  private readonly endpoints = new Map<number, GrpcEndpoint>();
  private readonly last = new Map<number, LeaderObservation>();
  private readonly inflight = new Set<number>();
  readonly observations: LeaderObservation[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly protocol: TargetProtocol, addresses: ReadonlyMap<number, string>, private readonly now: () => number) {
    for (const [node, address] of addresses) this.endpoints.set(node, new GrpcEndpoint(address, 1));
  }

  start(periodMs = 50): void {
    this.timer = setInterval(() => this.pollAll(), periodMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const endpoint of this.endpoints.values()) endpoint.close();
  }

  /** Latest observation of each member. */
  current(): ReadonlyMap<number, LeaderObservation> {
    return this.last;
  }

  private pollAll(): void {
    for (const [node, endpoint] of this.endpoints) {
      if (this.inflight.has(node)) continue;
      this.inflight.add(node);
      this.protocol.status(endpoint, statusDeadlineMs).then(
        (status) => this.note({ atMs: this.now(), node, reachable: true, isLeader: status.isLeader, term: status.term }),
        () => this.note({ atMs: this.now(), node, reachable: false, isLeader: false, term: this.last.get(node)?.term ?? 0 }),
      ).finally(() => this.inflight.delete(node));
    }
  }

  private note(observation: LeaderObservation): void {
    const previous = this.last.get(observation.node);
    this.last.set(observation.node, observation);
    const changed = previous === undefined || previous.reachable !== observation.reachable ||
      previous.isLeader !== observation.isLeader || previous.term !== observation.term;
    if (changed) this.observations.push(observation);
  }
}

/** Waits until every member answers and exactly one says it leads; returns it. */
export async function waitForLeader(watch: LeaderWatch, nodes: number, timeoutMs: number, now: () => number): Promise<LeaderObservation> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    const seen = [...watch.current().values()];
    const leaders = seen.filter((o) => o.isLeader);
    const maxTerm = Math.max(0, ...seen.map((o) => o.term));
    const leader = leaders[0];
    if (seen.length === nodes && seen.every((o) => o.reachable) && leaders.length === 1 && leader !== undefined && leader.term === maxTerm) return leader;
    await sleep(50);
  }
  const state = [...watch.current().values()].map((o) => `n${o.node}:${o.reachable ? (o.isLeader ? 'leader' : 'follower') : 'down'}@${o.term}`);
  throw new Error(`No single leader within ${timeoutMs} ms (${state.join(', ') || 'no member answered'})`);
}
