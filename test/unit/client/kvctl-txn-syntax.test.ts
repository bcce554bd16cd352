// Goal: the text form of `kvctl txn` (src/cli/commands/txn-syntax.ts): three blank-line-separated
// sections, quoting and escapes, --hex input, and errors that name the line.
import { describe, expect, it } from 'vitest';
import { compare, op } from '../../../src/client/txn.js';
import { parseTxn, tokenBytes, TxnSyntaxError } from '../../../src/cli/commands/txn-syntax.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseTxn()', () => {
  it('reads compares, success ops and failure ops separated by blank lines', () => {
    const text = ['value("owner") = "alice"', 'version(lock) = 0', '', 'put "owner" "bob"', 'del lock', '', 'get owner', ''].join('\n');
    expect(parseTxn(text, 'text')).toEqual({
      compares: [compare.value('owner', '=', 'alice'), compare.version('lock', '=', 0)],
      success: [op.put('owner', 'bob'), op.delete('lock')],
      failure: [op.get('owner')],
    });
  });

  it('allows empty sections: a leading blank line means no compares', () => {
    expect(parseTxn('\nput a 1\n', 'text')).toEqual({ compares: [], success: [op.put('a', '1')], failure: [] });
    expect(parseTxn('\n\nget a', 'text')).toEqual({ compares: [], success: [], failure: [op.get('a')] });
  });

  it.each([
    ['version("k") > 3', compare.version('k', '>', 3)],
    ['create("k") != 0', compare.createRevision('k', '!=', 0)],
    ['mod("k") < "10"', compare.modRevision('k', '<', 10)],
    ['value("k") == "v"', compare.value('k', '=', 'v')],
    ['  value( "k" )<"v"  ', compare.value('k', '<', 'v')],
  ])('compare %s', (line, expected) => {
    expect(parseTxn(line, 'text').compares).toEqual([expected]);
  });

  it('skips comment lines and accepts CRLF', () => {
    expect(parseTxn('# guard\r\nversion(a) = 0\r\n\r\n# create it\r\nput a 1\r\n', 'text')).toEqual({
      compares: [compare.version('a', '=', 0)], success: [op.put('a', '1')], failure: [],
    });
  });

  it('decodes keys and values as hex with --hex', () => {
    expect(parseTxn('value("6b") = "00ff"\n\nput 6b 0102', 'hex')).toEqual({
      compares: [compare.value(new Uint8Array([0x6b]), '=', new Uint8Array([0, 255]))],
      success: [op.put(new Uint8Array([0x6b]), new Uint8Array([1, 2]))],
      failure: [],
    });
  });

  it.each([
    ['value("k") ~ "v"', 1, /not a compare/],
    ['version("k") > "x"', 1, /whole number/],
    ['\nset a 1', 2, /unknown operation "set"/],
    ['\nput a', 2, /put takes KEY VALUE/],
    ['\nput "a 1', 2, /unbalanced quote/],
    ['\nput "a\\q" 1', 2, /unknown escape/],
    ['\nput a 1\n\nget a\n\nget b', 6, /too many blank lines/],
  ])('refuses %j at line %i', (text, line, message) => {
    try {
      parseTxn(text, 'text');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TxnSyntaxError);
      expect((error as TxnSyntaxError).line).toBe(line);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('tokenBytes()', () => {
  it.each([
    ['bare', utf8('bare')],
    ['"with space"', utf8('with space')],
    ['"q\\"uote"', utf8('q"uote')],
    ['"a\\nb\\tc\\\\"', utf8('a\nb\tc\\')],
    ['"\\x00\\xff"', new Uint8Array([0, 255])],
    ['"é"', utf8('é')],
    ['"😀"', utf8('😀')],
  ])('%s', (token, expected) => {
    expect(tokenBytes(token, 1)).toEqual(expected);
  });
});
