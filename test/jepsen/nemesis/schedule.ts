// Goal: a replayable fault plan for a Jepsen-style run. Method: a pure function of (seed, selected
// nemeses, run length, node ids). Faults fall in three lanes (network, process, cluster); within a
// lane faults never overlap, because they would share state (one iptables chain, one set of
// paused or removed nodes) and stopping one would half-stop the other. Faults of different lanes
// may overlap: that is where the interesting bugs are (a partition while the leader is paused).
// Each lane draws from its own fork of the seeded generator, so adding a nemesis to the selection
// does not change the draws of the other lanes. Every fault lasts a few seconds, lanes leave quiet
// gaps between faults, every start has a stop before `healAt`, and the plan ends with one heal
// event followed by a quiet period in which the cluster must recover (the liveness phase).
// Leader-aware faults name the role 'leader', not a node: the runner resolves it with a
// `leaderOf()` callback when the fault starts, since no one knows the leader at generation time.
// Shard faults (move, split) likewise carry only a seeded `choice`: which group, and which replica
// goes where, depends on the shard map when the fault starts, and the runner's hooks pick the
// candidate numbered `choice` modulo the number of candidates then.
import { assert } from '../../../src/shared/assert.js';
import type { NodeId } from '../../../src/shared/ids.js';
import { SeededRng, type Rng } from '../../../src/shared/rng.js';
import { randomHalves, shuffled } from '../net/links.js';

export const NEMESIS_NAMES = [
  'partition-halves', 'isolate-leader', 'majority-ring', 'bridge', 'one-way',
  'kill', 'pause', 'membership', 'transfer-storm', 'move', 'split', 'byte-flip', 'forge',
] as const;
export type NemesisName = (typeof NEMESIS_NAMES)[number];
export type NemesisSelection = NemesisName | 'all';

export type Lane = 'network' | 'process' | 'cluster' | 'shard' | 'peer';
/** New lanes go last: every lane forks the generator in this order, so earlier lanes keep their draws. */
const laneOrder: readonly Lane[] = ['network', 'process', 'cluster', 'shard', 'peer'];
const laneOf: Record<NemesisName, Lane> = {
  'partition-halves': 'network', 'isolate-leader': 'network', 'majority-ring': 'network',
  bridge: 'network', 'one-way': 'network', kill: 'process', pause: 'process',
  membership: 'cluster', 'transfer-storm': 'cluster', move: 'shard', split: 'shard', 'byte-flip': 'process', forge: 'peer',
};

/**
 * What the cluster under test allows. `membership` edits group 0's membership, which on a sharded
 * cluster is the meta group; `move` and `split` change the shard map, which only a sharded cluster
 * has, and a move needs a node without a replica of the group (replicas < nodes).
 */
export interface ClusterShape {
  readonly sharded: boolean;
  readonly canMove: boolean;
}

export const unshardedShape: ClusterShape = { sharded: false, canMove: false };

/**
 * The nemeses `all` stands for on a cluster of this shape. Not byte-flip: it must be named (its
 * repair edits group 0's membership, and leaving it out keeps the draws of earlier seeds).
 */
export function applicableNemeses(shape: ClusterShape): NemesisName[] {
  return NEMESIS_NAMES.filter((name) => {
    if (name === 'byte-flip') return false;
    if (name === 'membership') return !shape.sharded;
    if (name === 'split') return shape.sharded;
    if (name === 'move') return shape.canMove;
    return true;
  });
}

/** A node, or whichever node leads when the fault starts. */
export type NodeTarget = NodeId | 'leader';

export type Fault =
  | { readonly kind: 'partition-halves'; readonly groups: readonly (readonly NodeId[])[] }
  | { readonly kind: 'isolate-leader' }
  /** Ring order; see majorityRingLinks in net/links.ts. */
  | { readonly kind: 'majority-ring'; readonly ring: readonly NodeId[] }
  /** The middle of `order` is the bridge node; see bridgeLinks. */
  | { readonly kind: 'bridge'; readonly order: readonly NodeId[] }
  | { readonly kind: 'one-way'; readonly from: NodeId; readonly to: NodeId }
  | { readonly kind: 'kill'; readonly target: NodeTarget }
  | { readonly kind: 'pause'; readonly target: NodeTarget }
  /** start: remove the node from the cluster; stop: add it back. */
  | { readonly kind: 'membership'; readonly target: NodeTarget }
  /** start: transfer leadership to a random node every intervalMs; stop: cease. */
  | { readonly kind: 'transfer-storm'; readonly intervalMs: number }
  /** start: ReplicaMove of one replica of a group to a node without one; stop: nothing to undo. */
  | { readonly kind: 'move'; readonly choice: number }
  /** start: Split of a group; stop: nothing to undo. */
  | { readonly kind: 'split'; readonly choice: number }
  /**
   * start: kill the node, then corrupt its database: flip a bit of a stored value (the row
   * numbered `choice` modulo the rows), or, when `choice` is divisible by 4, break a page header;
   * stop: restart it, and rebuild it (remove, wipe, add back) if it refuses to start or raises CORRUPT.
   */
  | { readonly kind: 'byte-flip'; readonly target: NodeTarget; readonly choice: number }
  /** start: a buggy member sends forged peer messages every intervalMs (forge.ts); stop: cease. */
  | { readonly kind: 'forge'; readonly intervalMs: number }
  /** Only in the final event: stop everything, heal the network. */
  | { readonly kind: 'heal' };

export interface NemesisEvent {
  /** Milliseconds from the start of the run. */
  readonly at: number;
  readonly action: 'start' | 'stop';
  /** Pairs a stop with its start; 0 for the final heal. */
  readonly id: number;
  readonly fault: Fault;
}

export interface NemesisSchedule {
  readonly seed: number;
  readonly events: readonly NemesisEvent[];
  /** When the final heal happens; nothing starts or stops after it. */
  readonly healAt: number;
  readonly runMs: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly nemeses: readonly NemesisSelection[];
  readonly runMs: number;
  readonly nodes: readonly NodeId[];
  /** What `all` expands to; unsharded when absent. */
  readonly shape?: ClusterShape;
  readonly faultMsMin?: number;
  readonly faultMsMax?: number;
  readonly gapMsMin?: number;
  readonly gapMsMax?: number;
  /** Before the first fault, so the cluster can elect a leader. */
  readonly startQuietMs?: number;
  /** After the final heal: the recovery window. */
  readonly endQuietMs?: number;
}

const defaults = { faultMsMin: 2_000, faultMsMax: 5_000, gapMsMin: 1_000, gapMsMax: 4_000, startQuietMs: 2_000, endQuietMs: 5_000 };
const stormIntervalMsMin = 200;
const stormIntervalMsMax = 1_000;
const forgeIntervalMsMin = 20;
const forgeIntervalMsMax = 200;
/** Shard faults pick their candidate as `choice` modulo the candidates; any large bound works. */
const choiceBound = 1 << 30;
/** Per lane; a run long enough to pass it is a configuration mistake. */
const faultsPerLaneMax = 10_000;

/** Two fault kinds may be active at once only if they sit in different lanes. */
export function areCombinable(a: NemesisName, b: NemesisName): boolean {
  return laneOf[a] !== laneOf[b];
}

export function laneOfFault(kind: NemesisName): Lane {
  return laneOf[kind];
}

export function expandSelection(selection: readonly NemesisSelection[], shape: ClusterShape = unshardedShape): NemesisName[] {
  if (selection.includes('all')) return applicableNemeses(shape);
  return NEMESIS_NAMES.filter((name) => selection.includes(name));
}

const between = (rng: Rng, min: number, max: number): number => min + rng.nextInt(max - min + 1);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.nextInt(items.length)] as T;
const target = (rng: Rng, nodes: readonly NodeId[]): NodeTarget => (rng.nextInt(2) === 0 ? 'leader' : pick(rng, nodes));

function makeFault(name: NemesisName, rng: Rng, nodes: readonly NodeId[]): Fault {
  switch (name) {
    case 'partition-halves': return { kind: name, groups: randomHalves(nodes, rng) };
    case 'isolate-leader': return { kind: name };
    case 'majority-ring': return { kind: name, ring: shuffled(nodes, rng) };
    case 'bridge': return { kind: name, order: shuffled(nodes, rng) };
    case 'one-way': {
      const [from, to] = shuffled(nodes, rng) as [NodeId, NodeId];
      return { kind: name, from, to };
    }
    case 'kill': return { kind: name, target: target(rng, nodes) };
    case 'pause': return { kind: name, target: target(rng, nodes) };
    case 'membership': return { kind: name, target: target(rng, nodes) };
    case 'transfer-storm': return { kind: name, intervalMs: between(rng, stormIntervalMsMin, stormIntervalMsMax) };
    case 'move': return { kind: name, choice: rng.nextInt(choiceBound) };
    case 'split': return { kind: name, choice: rng.nextInt(choiceBound) };
    case 'byte-flip': return { kind: name, target: target(rng, nodes), choice: rng.nextInt(choiceBound) };
    case 'forge': return { kind: name, intervalMs: between(rng, forgeIntervalMsMin, forgeIntervalMsMax) };
  }
}

interface Window {
  readonly start: number;
  readonly stop: number;
  readonly fault: Fault;
}

type Timing = typeof defaults;

function laneWindows(names: readonly NemesisName[], rng: Rng, nodes: readonly NodeId[], timing: Timing, healAt: number): Window[] {
  const windows: Window[] = [];
  let t = timing.startQuietMs;
  while (windows.length < faultsPerLaneMax) {
    t += between(rng, timing.gapMsMin, timing.gapMsMax);
    const duration = between(rng, timing.faultMsMin, timing.faultMsMax);
    if (t + duration > healAt) break;
    windows.push({ start: t, stop: t + duration, fault: makeFault(pick(rng, names), rng, nodes) });
    t += duration;
  }
  return windows;
}

function checkOptions(options: ScheduleOptions, timing: Timing): void {
  assert(Number.isSafeInteger(options.runMs) && options.runMs > 0, `Run length must be a positive integer of ms, got ${options.runMs}`);
  assert(options.nodes.length >= 3, `A nemesis schedule needs at least 3 nodes, got ${options.nodes.length}`);
  assert(new Set(options.nodes).size === options.nodes.length, 'Node ids must be distinct');
  assert(timing.faultMsMin > 0 && timing.faultMsMin <= timing.faultMsMax, 'Need 0 < faultMsMin <= faultMsMax');
  assert(timing.gapMsMin > 0 && timing.gapMsMin <= timing.gapMsMax, 'Need 0 < gapMsMin <= gapMsMax');
  for (const name of options.nemeses) {
    assert(name === 'all' || (NEMESIS_NAMES as readonly string[]).includes(name), `Unknown nemesis "${String(name)}"`);
  }
}

/** Builds the plan. Pure: the same options always give the same schedule. */
export function generateSchedule(options: ScheduleOptions): NemesisSchedule {
  const timing: Timing = {
    faultMsMin: options.faultMsMin ?? defaults.faultMsMin, faultMsMax: options.faultMsMax ?? defaults.faultMsMax,
    gapMsMin: options.gapMsMin ?? defaults.gapMsMin, gapMsMax: options.gapMsMax ?? defaults.gapMsMax,
    startQuietMs: options.startQuietMs ?? defaults.startQuietMs, endQuietMs: options.endQuietMs ?? defaults.endQuietMs,
  };
  checkOptions(options, timing);
  const healAt = Math.max(0, options.runMs - timing.endQuietMs);
  const selected = expandSelection(options.nemeses, options.shape);
  const root = new SeededRng(options.seed);
  const windows: Window[] = [];
  for (const lane of laneOrder) {
    const laneRng = root.fork(); // forked for every lane, selected or not, to keep streams stable
    const names = selected.filter((name) => laneOf[name] === lane);
    if (names.length > 0) windows.push(...laneWindows(names, laneRng, options.nodes, timing, healAt));
  }
  windows.sort((a, b) => a.start - b.start); // stable: equal starts keep lane order
  const events: NemesisEvent[] = [];
  windows.forEach((window, i) => {
    events.push({ at: window.start, action: 'start', id: i + 1, fault: window.fault });
    events.push({ at: window.stop, action: 'stop', id: i + 1, fault: window.fault });
  });
  // At equal times stops go first, so a lane's next fault never starts before its last one ends.
  events.sort((a, b) => a.at - b.at || (a.action === b.action ? a.id - b.id : a.action === 'stop' ? -1 : 1));
  events.push({ at: healAt, action: 'stop', id: 0, fault: { kind: 'heal' } });
  return { seed: options.seed, events, healAt, runMs: options.runMs };
}
