// Goal: issue #14 item 1. Nothing a member sends may make a node throw, and no message may move a
// node's term further than the documented window (src/raft/election.ts, riseTowards). Method: a
// live three-node group of real cores on in-memory logs elects a leader and commits some writes;
// then node 3 turns into a buggy member and sends nodes 1 and 2 fast-check-generated messages:
// entirely random ones (valid shapes with random values), and real messages node 3 sent earlier
// with one field replaced by a random value. Each goes through the real codec (encode, mutate,
// decode); what the codec refuses is dropped, as the transport does; what it accepts is stepped
// into the target core, whose Ready is persisted and advanced as the runtime would. Then the
// forger stops and the group must still elect a leader and commit. FC_SEED / FC_NUM_RUNS as in
// the other properties.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { founderState } from '../../src/raft/bootstrap.js';
import { defaultTuning } from '../../src/raft/config.js';
import { silentLogger } from '../../src/raft/logger.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import { RaftNode } from '../../src/raft/node.js';
import { groupId, nodeId, type NodeId } from '../../src/shared/ids.js';
import { TERM_RISE_PER_WINDOW_MAX } from '../../src/shared/limits.js';
import { SeededRng } from '../../src/shared/rng.js';
import { MemoryLogStore } from '../../src/storage/memory-log-store.js';
import { decodeMessage, encodeMessage } from '../../src/transport/codec.js';
import { anyMessageArb, fcParameters } from '../unit/transport/arbitraries.js';

/** Each run builds and drives a whole group: fewer runs than the codec properties by default. */
const parameters = { ...fcParameters, numRuns: Number(process.env['FC_NUM_RUNS'] ?? 100) };
/** Long runs (FC_NUM_RUNS=1000) need more than the default test timeout. */
const timeoutMs = 20 * 60_000;

const ids = [nodeId(1), nodeId(2), nodeId(3)];
const forger = nodeId(3);
const group = groupId(0);

interface Member {
  readonly core: RaftNode;
  readonly store: MemoryLogStore;
}

/** A group of three real cores and a lossless in-order network, driven by hand. */
class Group {
  readonly members = new Map<NodeId, Member>();
  /** Everything node 3 ever sent: the forger's material. */
  readonly sentByForger: RaftMessage[] = [];
  private queue: RaftMessage[] = [];

  constructor(seed: number) {
    const initial = founderState(ids);
    for (const id of ids) {
      const store = new MemoryLogStore(initial);
      const core = new RaftNode({
        ...defaultTuning, id, storage: store, applied: initial.snapshot.index, confState: initial.snapshot.conf,
        rng: new SeededRng(seed * 7 + id), logger: silentLogger,
      });
      this.members.set(id, { core, store });
    }
  }

  member(id: NodeId): Member {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no node ${id}`);
    return m;
  }

  /** Persists and advances every Ready, queueing its messages (unless `mute` is the sender). */
  drain(mute?: NodeId): void {
    for (let round = 0; round < 1000; round++) {
      let progressed = false;
      for (const [id, { core, store }] of this.members) {
        const ready = core.takeReady();
        if (ready === undefined) continue;
        progressed = true;
        if (ready.hardState) store.setHardState(ready.hardState);
        store.append(ready.entriesToPersist);
        if (ready.snapshotChunk?.done === true) store.installSnapshot(ready.snapshotChunk.meta, new Uint8Array(0));
        core.advance(ready);
        const out = [...ready.earlyMessages, ...ready.messages];
        if (id === forger) this.sentByForger.push(...out);
        if (id !== mute) this.queue.push(...out);
      }
      const queued = this.queue;
      this.queue = [];
      for (const m of queued) if (m.to !== mute) this.member(m.to).core.step(m);
      if (!progressed && queued.length === 0) return;
    }
  }

  run(ticks: number, mute?: NodeId): void {
    for (let i = 0; i < ticks; i++) {
      for (const [id, { core }] of this.members) if (id !== mute) core.tick();
      this.drain(mute);
    }
  }

  leader(): RaftNode | undefined {
    return [...this.members.values()].map((m) => m.core).find((core) => core.role === 'leader');
  }

  propose(count: number): void {
    for (let i = 0; i < count; i++) this.leader()?.propose(new Uint8Array([i + 1]));
    this.drain();
  }
}

/** A started group with a leader and a few committed writes. */
function liveGroup(seed: number): Group {
  const g = new Group(seed);
  g.run(20 * defaultTuning.electionTicks);
  g.propose(5);
  return g;
}

type Wire = Record<string, unknown>;

/** Every path to a leaf of a wire object (arrays and nested messages included). */
function leafPaths(value: unknown, prefix: readonly (string | number)[] = []): (string | number)[][] {
  if (value instanceof Uint8Array || typeof value !== 'object' || value === null) return [[...prefix]];
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => leafPaths((value as Record<string | number, unknown>)[key], [...prefix, key]));
}

function replaced(wire: Wire, path: readonly (string | number)[], leaf: unknown): Wire {
  const copy = structuredClone(wire);
  let target: unknown = copy;
  for (const key of path.slice(0, -1)) target = (target as Record<string | number, unknown>)[key];
  (target as Record<string | number, unknown>)[path[path.length - 1] ?? ''] = leaf;
  return copy;
}

/** Values a broken member might put in a field: near and far uint64s, other types, nothing. */
const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.maxSafeNat().map(String),
  fc.nat(64).map(String),
  fc.constantFrom('9007199254740991', '4503599627370496', '4503599627370497', '0', '1', '-1', ''),
  fc.anything(),
);

/** One forged message: a real one of node 3's with a field replaced, or a random well-formed one. */
function forgedArb(g: Group): fc.Arbitrary<{ to: NodeId; wire: unknown }> {
  const toArb = fc.constantFrom(nodeId(1), nodeId(2));
  const real = g.sentByForger;
  const mutated = fc.tuple(fc.constantFrom(...real), toArb, fc.nat(), leafArb).map(([m, to, pick, leaf]) => {
    const wire = encodeMessage(group, { ...m, to }) as unknown as Wire;
    const paths = leafPaths(wire).filter((p) => p[0] !== 'body');
    return { to, wire: replaced(wire, paths[pick % paths.length] ?? ['term'], leaf) };
  });
  const random = fc.tuple(anyMessageArb, toArb).map(([m, to]) => ({ to, wire: encodeMessage(group, { ...m, from: forger, to } as RaftMessage) }));
  return fc.oneof(mutated, random);
}

describe('a buggy member sending to a live group', () => {
  it('never makes a node throw, and nodes 1 and 2 still elect a leader and commit afterwards', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.integer({ min: 1, max: 40 }), fc.nat(), (seed, count, pickSeed) => {
        const g = liveGroup(seed);
        const forged = fc.sample(fc.array(forgedArb(g), { minLength: count, maxLength: count }), { numRuns: 1, seed: pickSeed })[0] ?? [];
        for (const { to, wire } of forged) {
          const decoded = decodeMessage(wire);
          if (decoded.ok && decoded.message.from === forger && decoded.message.to === to) g.member(to).core.step(decoded.message);
          g.drain(forger);
        }
        // The forger goes quiet; nodes 1 and 2 are a majority and must recover by themselves.
        g.run(30 * defaultTuning.electionTicks, forger);
        const leader = [nodeId(1), nodeId(2)].map((id) => g.member(id).core).find((core) => core.role === 'leader');
        expect(leader).toBeDefined();
        const proposed = leader?.propose(new Uint8Array([42]));
        g.run(2 * defaultTuning.electionTicks, forger);
        if (proposed?.ok !== true) throw new Error('the recovered leader refused a write');
        for (const id of [nodeId(1), nodeId(2)]) expect(g.member(id).core.status().commit).toBeGreaterThanOrEqual(proposed.value.index);
      }),
      parameters,
    );
  }, timeoutMs);

  it('raises no node term past the window plus one per campaign the messages could trigger', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.integer({ min: 1, max: 40 }), fc.nat(), (seed, count, pickSeed) => {
        const g = liveGroup(seed);
        const before = new Map(ids.map((id) => [id, g.member(id).core.term]));
        const forged = fc.sample(fc.array(forgedArb(g), { minLength: count, maxLength: count }), { numRuns: 1, seed: pickSeed })[0] ?? [];
        // Each campaign raises a term by one: TimeoutNow asks for one, vote replies can win one.
        let campaigns = 0;
        for (const { to, wire } of forged) {
          const decoded = decodeMessage(wire);
          if (!decoded.ok || decoded.message.from !== forger || decoded.message.to !== to) continue;
          if (decoded.message.type === 'timeoutNow' || decoded.message.type === 'requestVoteReply') campaigns++;
          g.member(to).core.step(decoded.message);
          g.drain(forger);
        }
        for (const id of [nodeId(1), nodeId(2)]) {
          expect(g.member(id).core.term).toBeLessThanOrEqual((before.get(id) ?? 0) + TERM_RISE_PER_WINDOW_MAX + campaigns + 1);
          expect(g.member(id).store.hardState().term).toBe(g.member(id).core.term);
        }
      }),
      parameters,
    );
  }, timeoutMs);
});
