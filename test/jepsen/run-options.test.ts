// Goal: the runner's flags mean what the README says. Method: table of argv -> options or error.
import { describe, expect, it } from 'vitest';
import { defaultRunOptions, parseRunArgs } from './run-options.js';

describe('parseRunArgs()', () => {
  it('keeps the defaults and takes the seed from the clock when no flag is given', () => {
    expect(parseRunArgs([], 77)).toEqual({ ...defaultRunOptions, seed: 77 });
  });

  it('reads the issue\'s command line', () => {
    const options = parseRunArgs(['--time', '120', '--nemesis', 'kill,pause', '--nodes', '5', '--out', 'x', '--workload', 'set,bank', '--seed', '9', '--concurrency', '4'], 1);
    expect(options).toMatchObject({ timeS: 120, nemeses: ['kill', 'pause'], nodes: 5, outDir: 'x', workloads: ['set', 'bank'], seed: 9, concurrency: 4 });
  });

  it.each([
    [['--nodes', '4'], /expected 3 or 5/],
    [['--nemesis', 'meteor'], /nemesis "meteor"/],
    [['--workload', 'queue'], /workload "queue"/],
    [['--time', '5'], /must exceed the quiet period/],
    [['--seed'], /Missing value after --seed/],
    [['--bogus', '1'], /Unknown flag --bogus/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseRunArgs(argv, 1)).toThrow(message);
  });

  it('takes `none` as a run without faults and --lease-reads as a bare switch', () => {
    expect(parseRunArgs(['--nemesis', 'none', '--lease-reads'], 1)).toMatchObject({ nemeses: [], leaseReads: true });
    expect(parseRunArgs(['--secure', '--time', '30'], 1)).toMatchObject({ secure: true, leaseReads: false, timeS: 30 });
    expect(parseRunArgs([], 1)).toMatchObject({ secure: false });
  });

  it('reads --groups and --replicas, and the halves alias', () => {
    expect(parseRunArgs(['--groups', '16', '--nodes', '5', '--nemesis', 'halves,kill,move,split'], 1))
      .toMatchObject({ groups: 16, replicas: 3, nodes: 5, nemeses: ['partition-halves', 'kill', 'move', 'split'] });
    expect(parseRunArgs(['--groups', '16', '--replicas', '2', '--nemesis', 'move'], 1)).toMatchObject({ groups: 16, replicas: 2, nodes: 3 });
  });

  it.each([
    [['--nemesis', 'move'], /unsharded cluster/],
    [['--groups', '16', '--nemesis', 'membership'], /membership on a sharded cluster/],
    [['--groups', '16', '--nemesis', 'move'], /every node already holds every group/],
    [['--groups', '16', '--replicas', '4'], /more replicas than there are nodes/],
    [['--groups', '-1'], /integer >= 0/],
  ])('refuses the sharding mismatch %j', (argv, message) => {
    expect(() => parseRunArgs(argv, 1)).toThrow(message);
  });

  it('lets `all` on a sharded cluster stand for what that cluster supports', () => {
    expect(parseRunArgs(['--groups', '16'], 1)).toMatchObject({ nemeses: ['all'], groups: 16 });
  });
});
