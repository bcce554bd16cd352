// Goal: `raftkv dev` (npm start) takes --groups for every node, so a data directory founded
// unsharded can still be started with --groups 0, and refuses a bad value with a message.
// Method: parseDevFlags() tables.
import { describe, expect, it } from 'vitest';
import { parseDevFlags } from '../../../src/cli/dev-cluster.js';

describe('raftkv dev flags', () => {
  it('leaves --groups to the server by default and passes one when given', () => {
    expect(parseDevFlags([]).groups).toBeUndefined();
    expect(parseDevFlags(['--groups', '0', '--nodes', '5'])).toMatchObject({ groups: 0, nodes: 5 });
  });

  it('refuses a bad --groups and an unknown flag, naming the flags it knows', () => {
    expect(() => parseDevFlags(['--groups', '-1'])).toThrow('--groups must be 0 or more');
    expect(() => parseDevFlags(['--replicas', '2'])).toThrow('raftkv dev takes --nodes, --base-port, --data-dir, --groups');
  });
});
