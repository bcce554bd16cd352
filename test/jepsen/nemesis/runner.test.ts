// Goal: the runner turns a schedule into the right hook calls. Method: fake hooks that record
// calls, a fake clock and an instant sleep, so whole schedules run in microseconds. The leader is
// changed between generation and execution to show that roles resolve when a fault starts.
import { describe, expect, it } from 'vitest';
import { nodeId, type NodeId } from '../../../src/shared/ids.js';
import { NemesisRunner, type NemesisHooks } from './runner.js';
import { generateSchedule, type Fault, type NemesisEvent, type NemesisSchedule } from './schedule.js';

const nodes = [1, 2, 3].map(nodeId);

function fakeHooks(leader: { current: NodeId | undefined }): { hooks: NemesisHooks; calls: string[] } {
  const calls: string[] = [];
  const note = (text: string): Promise<void> => {
    calls.push(text);
    return Promise.resolve();
  };
  const hooks: NemesisHooks = {
    network: {
      isolate: (a, b) => note(`isolate ${a.join()} from ${b.join()}`),
      partition: (groups) => note(`partition ${groups.map((g) => g.join()).join('|')}`),
      blockLinks: (links) => note(`links ${links.length}`),
      blockOneWay: (from, to) => note(`one-way ${String(from)}->${String(to)}`),
      heal: () => note('heal'),
    },
    leaderOf: () => Promise.resolve(leader.current),
    crash: (node) => note(`crash ${node}`),
    restart: (node) => note(`restart ${node}`),
    pause: (node) => note(`pause ${node}`),
    resume: (node) => note(`resume ${node}`),
    removeMember: (node) => note(`remove ${node}`),
    addMember: (node) => note(`add ${node}`),
    transferLeader: (to) => note(`transfer ${to}`),
    forge: (to, as) => note(`forge ${to} as ${as}`).then(() => 'garbage'),
  };
  return { hooks, calls };
}

function runner(hooks: NemesisHooks): NemesisRunner {
  let clock = 0n;
  return new NemesisRunner({ nodes, hooks, now: () => (clock += 1_000n), sleep: () => Promise.resolve() });
}

const event = (at: number, action: 'start' | 'stop', id: number, fault: Fault): NemesisEvent => ({ at, action, id, fault });

describe('NemesisRunner', () => {
  it('resolves the leader when a fault starts and undoes that same node on stop', async () => {
    const leader = { current: nodeId(2) as NodeId | undefined };
    const { hooks, calls } = fakeHooks(leader);
    const nemesis = runner(hooks);
    await nemesis.apply(event(0, 'start', 1, { kind: 'pause', target: 'leader' }));
    leader.current = nodeId(3); // a new leader takes over while node 2 is paused
    await nemesis.apply(event(10, 'stop', 1, { kind: 'pause', target: 'leader' }));
    await nemesis.apply(event(20, 'start', 2, { kind: 'isolate-leader' }));
    expect(calls).toEqual(['pause 2', 'resume 2', 'isolate 3 from 1,2,3']);
    expect(nemesis.log.map((entry) => entry.node)).toEqual([2, 2, 3]);
  });

  it('byte-flip kills the node, corrupts it, and on stop restarts it through the repair hook', async () => {
    const { hooks, calls } = fakeHooks({ current: nodeId(1) });
    const withFlip: NemesisHooks = {
      ...hooks,
      flipBytes: (node, choice) => Promise.resolve(`flipped ${node}/${choice}`).finally(() => calls.push(`flip ${node}`)),
      restartCorrupted: (node) => Promise.resolve('raised CORRUPT; rebuilt').finally(() => calls.push(`restart-corrupted ${node}`)),
    };
    const nemesis = runner(withFlip);
    await nemesis.apply(event(0, 'start', 1, { kind: 'byte-flip', target: nodeId(3), choice: 7 }));
    await nemesis.apply(event(10, 'stop', 1, { kind: 'byte-flip', target: nodeId(3), choice: 7 }));
    expect(calls).toEqual(['crash 3', 'flip 3', 'restart-corrupted 3']);
    expect(nemesis.log.map((entry) => entry.detail)).toEqual(['flipped 3/7', 'flipped 3/7; raised CORRUPT; rebuilt']);
  });

  it('skips a leader-aware fault when there is no leader, and its stop does nothing', async () => {
    const { hooks, calls } = fakeHooks({ current: undefined });
    const nemesis = runner(hooks);
    await nemesis.apply(event(0, 'start', 1, { kind: 'kill', target: 'leader' }));
    await nemesis.apply(event(5, 'stop', 1, { kind: 'kill', target: 'leader' }));
    expect(calls).toEqual([]);
    expect(nemesis.log[0]?.note).toBe('skipped: no leader');
  });

  it('the final heal undoes every active fault, then heals the network', async () => {
    const { hooks, calls } = fakeHooks({ current: nodeId(1) });
    const nemesis = runner(hooks);
    await nemesis.apply(event(0, 'start', 1, { kind: 'one-way', from: nodeId(1), to: nodeId(2) }));
    await nemesis.apply(event(0, 'start', 2, { kind: 'kill', target: nodeId(3) }));
    await nemesis.apply(event(0, 'start', 3, { kind: 'membership', target: nodeId(2) }));
    await nemesis.apply(event(9, 'stop', 0, { kind: 'heal' }));
    expect(calls).toEqual(['one-way 1->2', 'crash 3', 'remove 2', 'add 2', 'restart 3', 'heal', 'heal']);
  });

  it('a transfer storm transfers until stopped', async () => {
    const { hooks, calls } = fakeHooks({ current: nodeId(1) });
    const nemesis = new NemesisRunner({ nodes, hooks, sleep: () => new Promise((resolve) => setImmediate(resolve)) });
    const storm: Fault = { kind: 'transfer-storm', intervalMs: 1 };
    await nemesis.apply(event(0, 'start', 1, storm));
    while (calls.length < 3) await new Promise((resolve) => setImmediate(resolve));
    await nemesis.apply(event(1, 'stop', 1, storm));
    const count = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls.length).toBe(count);
    expect(calls.every((call) => /^transfer [123]$/.test(call))).toBe(true);
  });

  it('runs a whole generated schedule, ending with everything undone', async () => {
    const schedule: NemesisSchedule = generateSchedule({ seed: 5, nemeses: ['all'], runMs: 120_000, nodes });
    const { hooks, calls } = fakeHooks({ current: nodeId(1) });
    const nemesis = new NemesisRunner({ nodes, hooks, sleep: () => new Promise((resolve) => setImmediate(resolve)) });
    await nemesis.run(schedule);
    const count = (prefix: string): number => calls.filter((call) => call.startsWith(prefix)).length;
    expect(count('crash')).toBe(count('restart'));
    expect(count('pause')).toBe(count('resume'));
    expect(count('remove')).toBe(count('add'));
    expect(calls.filter((call) => call.startsWith('forge')).every((call) => !/forge (\d+) as \1$/.test(call))).toBe(true);
    expect(calls.at(-1)).toBe('heal');
    expect(nemesis.log).toHaveLength(schedule.events.length);
  });

  it('logs a failed step, goes on to the heal, then throws', async () => {
    const { hooks, calls } = fakeHooks({ current: nodeId(1) });
    const failing: NemesisHooks = { ...hooks, crash: () => Promise.reject(new Error('no such process')) };
    const nemesis = runner(failing);
    const schedule: NemesisSchedule = {
      seed: 0, healAt: 2, runMs: 3,
      events: [event(0, 'start', 1, { kind: 'kill', target: nodeId(2) }), event(2, 'stop', 0, { kind: 'heal' })],
    };
    await expect(nemesis.run(schedule)).rejects.toThrow(/1 step\(s\) failed/);
    expect(nemesis.log[0]?.note).toBe('no such process');
    expect(calls).toEqual(['heal']);
  });

  it('shard faults: a move and a split are logged with what they did, and their stops undo nothing', async () => {
    const { hooks, calls } = fakeHooks({ current: nodeId(1) });
    const sharded: NemesisHooks = {
      ...hooks,
      leaderTarget: () => Promise.resolve({ node: nodeId(3), detail: 'leader of group 7' }),
      moveReplica: (choice) => Promise.resolve(`moved #${choice}`),
      splitGroup: () => Promise.reject(new Error('Cannot split group 2: UNIMPLEMENTED by this server')),
    };
    const nemesis = runner(sharded);
    await nemesis.apply(event(0, 'start', 1, { kind: 'move', choice: 42 }));
    await nemesis.apply(event(1, 'stop', 1, { kind: 'move', choice: 42 }));
    await expect(nemesis.apply(event(2, 'start', 2, { kind: 'split', choice: 1 }))).rejects.toThrow(/UNIMPLEMENTED/);
    await nemesis.apply(event(3, 'stop', 2, { kind: 'split', choice: 1 }));
    await nemesis.apply(event(4, 'start', 3, { kind: 'pause', target: 'leader' }));
    expect(calls).toEqual(['pause 3']);
    expect(nemesis.log.map((e) => [e.action, e.kind, e.detail ?? e.note ?? ''])).toEqual([
      ['start', 'move', 'moved #42'], ['stop', 'move', 'moved #42'],
      ['start', 'split', 'Cannot split group 2: UNIMPLEMENTED by this server'], ['stop', 'split', ''],
      ['start', 'pause', 'leader of group 7'],
    ]);
  });

  it('a move on a cluster without a shard map fails the step instead of crashing the run', async () => {
    const { hooks } = fakeHooks({ current: nodeId(1) });
    const nemesis = runner(hooks);
    await expect(nemesis.apply(event(0, 'start', 1, { kind: 'move', choice: 0 }))).rejects.toThrow(/no shard map/);
  });
});
