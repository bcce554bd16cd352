/**
 * Goal: the simulator's own parts behave as the checks built on them assume: the event queue is
 * ordered by (time, sequence), cuts and clogs do what they say, snapshots of the KV state machine
 * round-trip with their digest, and a seed replays exactly (a failure we cannot replay is a bug in
 * the harness).
 */
import { describe, expect, it } from 'vitest';
import { logIndex, nodeId, term } from '../../src/shared/ids.js';
import { SeededRng } from '../../src/shared/rng.js';
import { EventQueue } from './event-queue.js';
import { KvStateMachine, encodePut } from './kv-state-machine.js';
import { Network } from './network.js';
import { runSeed } from './run-seed.js';

const calm = { dropRate: 0, duplicateRate: 0, latencyMinMs: 1, latencyMaxMs: 1 };
const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];

describe('EventQueue', () => {
  it('pops events by time, then in the order they were pushed', () => {
    const queue = new EventQueue<string>(10);
    queue.push(5, 'c');
    queue.push(1, 'a');
    queue.push(5, 'd');
    queue.push(1, 'b');
    const order = [queue.pop(), queue.pop(), queue.pop(), queue.pop()].map((s) => s?.event);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.pop()).toBeUndefined();
  });

  it('throws when pushed past its bound', () => {
    const queue = new EventQueue<string>(1);
    queue.push(0, 'a');
    expect(() => queue.push(0, 'b')).toThrow(/full/);
  });
});

describe('Network', () => {
  it('drops both directions of a two-way cut until it ends', () => {
    const network = new Network(new SeededRng(1), calm, 100);
    network.cut([n1], [n2, n3], false, 50);
    expect(network.route(n1, n2, 10)).toEqual([]);
    expect(network.route(n3, n1, 10)).toEqual([]);
    expect(network.route(n2, n3, 10)).toEqual([11]);
    expect(network.route(n1, n2, 50)).toEqual([51]);
  });

  it('drops only the cut direction of a one-way cut', () => {
    const network = new Network(new SeededRng(1), calm, 100);
    network.cut([n1], [n2], true, 50);
    expect(network.route(n1, n2, 0)).toEqual([]);
    expect(network.route(n2, n1, 0)).toEqual([1]);
  });

  it('adds a clog delay to one link only', () => {
    const network = new Network(new SeededRng(1), calm, 100);
    network.clog(n1, n2, 300, 100);
    expect(network.route(n1, n2, 0)).toEqual([301]);
    expect(network.route(n2, n1, 0)).toEqual([1]);
  });
});

describe('KvStateMachine', () => {
  it('restores from its own snapshot with the same digest and data', () => {
    const bootstrap = { index: logIndex(1), term: term(1), conf: { voters: [n1, n2], learners: [] } };
    const machine = new KvStateMachine(bootstrap);
    machine.apply({ index: logIndex(2), term: term(2), type: 'normal', data: new Uint8Array(0) });
    machine.apply({ index: logIndex(3), term: term(2), type: 'normal', data: encodePut({ key: 'k', value: 'v' }) });
    const copy = new KvStateMachine(bootstrap);
    copy.restore({ index: logIndex(3), term: term(2), conf: machine.conf }, machine.serialize());
    expect([copy.applied, copy.digest, copy.get('k'), copy.conf]).toEqual([3, machine.digest, 'v', machine.conf]);
  });
});

describe('runSeed()', () => {
  it('replays a seed exactly: same events, stats and trace', () => {
    const params = { seed: 7, nodeCount: 5, profile: 'swarm', mutation: 'none' } as const;
    const first = runSeed(params);
    const second = runSeed(params);
    expect(second.events).toBe(first.events);
    expect(second.stats).toEqual(first.stats);
    expect(second.trace).toEqual(first.trace);
  });
});
