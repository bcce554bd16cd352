/**
 * Goal: an unreliable virtual network. Method: each message is routed once, when sent: it is
 * dropped (cut link, random loss, or the in-flight bound), or delivered after a random latency (so
 * messages reorder), sometimes twice (duplication), and much later over a clogged link. A cut also
 * drops messages already in flight when they arrive. Cuts and clogs end at a virtual time;
 * heal() clears them all and calms the fault rates for the liveness phase.
 */
import type { NodeId } from '../../src/shared/ids.js';
import type { Rng } from '../../src/shared/rng.js';
import { between, chance } from './random.js';

export interface NetworkFaults {
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly latencyMinMs: number;
  readonly latencyMaxMs: number;
}

export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
}

interface Cut {
  readonly links: ReadonlySet<number>;
  readonly untilMs: number;
}

interface Clog {
  readonly extraDelayMs: number;
  readonly untilMs: number;
}

const linkKey = (from: NodeId, to: NodeId): number => from * 65_536 + to;

export class Network {
  private cuts: Cut[] = [];
  private readonly clogs = new Map<number, Clog>();
  private inFlight = 0;
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0 };

  constructor(
    private readonly rng: Rng,
    private faults: NetworkFaults,
    private readonly messagesInFlightMax: number,
  ) {}

  /** Cuts every link from a node of `from` to a node of `to`, and back unless `oneWay`. */
  cut(from: readonly NodeId[], to: readonly NodeId[], oneWay: boolean, untilMs: number): void {
    const links = new Set<number>();
    for (const a of from) {
      for (const b of to) {
        if (a === b) continue;
        links.add(linkKey(a, b));
        if (!oneWay) links.add(linkKey(b, a));
      }
    }
    this.cuts.push({ links, untilMs });
  }

  /** Adds `extraDelayMs` to every message sent from `from` to `to` until `untilMs`. */
  clog(from: NodeId, to: NodeId, extraDelayMs: number, untilMs: number): void {
    this.clogs.set(linkKey(from, to), { extraDelayMs, untilMs });
  }

  isCut(from: NodeId, to: NodeId, nowMs: number): boolean {
    if (this.cuts.length === 0) return false;
    if (this.cuts.some((c) => c.untilMs <= nowMs)) this.cuts = this.cuts.filter((c) => c.untilMs > nowMs);
    const key = linkKey(from, to);
    return this.cuts.some((c) => c.links.has(key));
  }

  /** Delivery times for one message: none when dropped, two when duplicated. */
  route(from: NodeId, to: NodeId, nowMs: number): number[] {
    this.stats.sent++;
    const full = this.inFlight >= this.messagesInFlightMax;
    if (full || this.isCut(from, to, nowMs) || chance(this.rng, this.faults.dropRate)) {
      this.stats.dropped++;
      return [];
    }
    const times = [nowMs + this.latencyMs(from, to, nowMs)];
    if (chance(this.rng, this.faults.duplicateRate)) {
      this.stats.duplicated++;
      times.push(nowMs + this.latencyMs(from, to, nowMs));
    }
    this.inFlight += times.length;
    return times;
  }

  /** A routed message reached its delivery time (delivered or not). */
  arrived(): void {
    this.inFlight--;
  }

  heal(calm: NetworkFaults): void {
    this.cuts = [];
    this.clogs.clear();
    this.faults = calm;
  }

  private latencyMs(from: NodeId, to: NodeId, nowMs: number): number {
    const base = between(this.rng, this.faults.latencyMinMs, this.faults.latencyMaxMs);
    const clog = this.clogs.get(linkKey(from, to));
    return clog !== undefined && clog.untilMs > nowMs ? base + clog.extraDelayMs : base;
  }
}
