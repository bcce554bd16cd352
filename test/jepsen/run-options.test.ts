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
  });
});
