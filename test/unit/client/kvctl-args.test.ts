// Goal: kvctl's argument parsing (src/cli/commands/args.ts): durations, counts, endpoints, output
// and encoding flags, and that bad input is a UsageError (exit code 2).
import { describe, expect, it } from 'vitest';
import {
  commandWord, ENDPOINTS_DEFAULT, expectArgs, parseCommandLine, parseCount, parseDuration, parseEncoding, parseEndpoints, parseOutput, UsageError,
} from '../../../src/cli/commands/args.js';

describe('parseDuration()', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['1.5s', 1_500],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1s250ms', 1_250],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text, 'timeout')).toBe(ms);
  });

  it.each(['5', '', 's', '5 s', '-1s', '0s', '1d', 'ms5'])('refuses "%s"', (text) => {
    expect(() => parseDuration(text, 'timeout')).toThrow(UsageError);
  });

  it('names the flag in its message', () => {
    expect(() => parseDuration('5', 'timeout')).toThrow(/--timeout must be a duration with a unit/);
  });
});

describe('parseCount()', () => {
  it('accepts whole numbers within bounds', () => {
    expect(parseCount('10', '--limit', 1, 100)).toBe(10);
  });

  it.each(['0', '101', '1.5', '-3', 'x', '', '1e3'])('refuses "%s" for 1..100', (text) => {
    expect(() => parseCount(text, '--limit', 1, 100)).toThrow(UsageError);
  });
});

describe('parseEndpoints()', () => {
  it('prefers the flag, then the environment, then the local default', () => {
    expect(parseEndpoints('a:1,b:2', 'c:3')).toEqual(['a:1', 'b:2']);
    expect(parseEndpoints(undefined, ' c:3 , d:4 ')).toEqual(['c:3', 'd:4']);
    expect(parseEndpoints(undefined, undefined)).toEqual(ENDPOINTS_DEFAULT.split(','));
    expect(parseEndpoints(undefined, '  ')).toEqual(ENDPOINTS_DEFAULT.split(','));
  });

  it('accepts bracketed IPv6', () => {
    expect(parseEndpoints('[::1]:7001', undefined)).toEqual(['[::1]:7001']);
  });

  it.each(['localhost', 'a:b', ',', 'a:1,b'])('refuses "%s"', (text) => {
    expect(() => parseEndpoints(text, undefined)).toThrow(UsageError);
  });
});

describe('parseOutput() and parseEncoding()', () => {
  it('parses table and json, table by default', () => {
    expect(parseOutput(undefined)).toBe('table');
    expect(parseOutput('json')).toBe('json');
    expect(() => parseOutput('yaml')).toThrow(UsageError);
  });

  it('reads --hex and --base64 but not both', () => {
    expect(parseEncoding(parseCommandLine(['get', 'k'], {}).flags)).toBe('text');
    expect(parseEncoding(parseCommandLine(['get', 'k', '--hex'], {}).flags)).toBe('hex');
    expect(parseEncoding(parseCommandLine(['get', 'k', '--base64'], {}).flags)).toBe('base64');
    expect(() => parseEncoding(parseCommandLine(['get', '--hex', '--base64', 'k'], {}).flags)).toThrow(UsageError);
  });
});

describe('parseCommandLine()', () => {
  it('takes global and command flags anywhere, and positionals in order', () => {
    const parsed = parseCommandLine(['--endpoints', 'a:1', 'scan', '--limit=5', '-o', 'json', '--keys-only'], {
      limit: { type: 'string', help: '' }, 'keys-only': { type: 'boolean', help: '' },
    });
    expect(parsed.positionals).toEqual(['scan']);
    expect([parsed.flags.string('endpoints'), parsed.flags.string('limit'), parsed.flags.string('output'), parsed.flags.bool('keys-only')]).toEqual(['a:1', '5', 'json', true]);
  });

  it('refuses an unknown flag as a usage error naming it', () => {
    expect(() => parseCommandLine(['get', 'k', '--nope'], {}, 'get')).toThrow(/--nope/);
  });

  it('reads a value that starts with "-" after --', () => {
    expect(parseCommandLine(['put', 'k', '--', '-1'], {}).positionals).toEqual(['put', 'k', '-1']);
  });

  it('commandWord() finds the command after global flags, before knowing the command', () => {
    expect(commandWord(['--endpoints', 'a:1', '--hex', 'member', 'list'])).toEqual({ word: 'member', sub: 'list' });
    expect(commandWord(['--help']).word).toBeUndefined();
  });
});

describe('expectArgs()', () => {
  it('returns the arguments when the count matches', () => {
    expect(expectArgs(['a', 'b'], ['KEY', 'VALUE'], 'put')).toEqual(['a', 'b']);
  });

  it('names the missing argument, or the first extra one', () => {
    expect(() => expectArgs(['a'], ['KEY', 'VALUE'], 'put')).toThrow('put: missing VALUE');
    expect(() => expectArgs(['a', 'b'], ['KEY'], 'get')).toThrow('get: unexpected "b"');
  });
});
