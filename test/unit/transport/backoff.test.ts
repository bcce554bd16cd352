import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from '../../../src/transport/backoff.js';
import { WarnLimiter } from '../../../src/transport/warn-limiter.js';
import type { TransportLogger } from '../../../src/transport/peer-transport.js';

describe('reconnectDelayMs()', () => {
  it.each([
    [0, 0, 50],
    [0, 0.999, 50],
    [1, 0, 50],
    [1, 1, 100],
    [3, 0, 200],
    [3, 1, 400],
    [10, 0, 1000],
    [10, 1, 2000],
    [1000, 0.5, 1500],
  ])('attempt %i with random %d waits %i ms (50..2000)', (attempt, random, expected) => {
    expect(reconnectDelayMs(attempt, 50, 2000, () => random)).toBe(expected);
  });

  it('stays within [min, max] for any attempt and draw', () => {
    fc.assert(
      fc.property(fc.nat(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const delay = reconnectDelayMs(attempt, 50, 2000, () => random);
        expect(delay).toBeGreaterThanOrEqual(50);
        expect(delay).toBeLessThanOrEqual(2000);
      }),
    );
  });
});

describe('WarnLimiter', () => {
  it('logs once per key and interval, then reports how many it held back', () => {
    const lines: [string, Record<string, unknown>, string][] = [];
    const record = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push([level, fields, message]);
    const logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') } as unknown as TransportLogger;
    let now = 0;
    const limiter = new WarnLimiter(logger, 1000, () => now);
    limiter.warn('a', { peer: 2 }, 'bad');
    limiter.warn('a', { peer: 2 }, 'bad');
    limiter.warn('b', { peer: 3 }, 'bad');
    now = 999;
    limiter.warn('a', { peer: 2 }, 'bad');
    now = 1000;
    limiter.error('a', { peer: 2 }, 'worse');
    expect(lines).toEqual([
      ['warn', { peer: 2, suppressed: 0 }, 'bad'],
      ['warn', { peer: 3, suppressed: 0 }, 'bad'],
      ['error', { peer: 2, suppressed: 2 }, 'worse'],
    ]);
  });
});
