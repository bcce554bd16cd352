/** When a sharded raftkv cluster counts as settled before the benchmark's load starts. */
import { describe, expect, it } from 'vitest';
import { evenLeaderships } from '../../../bench/targets/raftkv-settle.js';

describe('evenLeaderships', () => {
  it('wants every group led and the nodes within one leadership of each other', () => {
    expect(evenLeaderships([6, 6, 5], 17)).toBe(true);
    expect(evenLeaderships([7, 5, 5], 17)).toBe(false); // still moving: 7 against 5
    expect(evenLeaderships([6, 5, 5], 17)).toBe(false); // a group without a leader
    expect(evenLeaderships([], 17)).toBe(false);
  });
});
