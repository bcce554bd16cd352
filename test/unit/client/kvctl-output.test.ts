// Goal: kvctl output formatting (src/cli/output/): aligned tables, escaping of binary and control
// bytes so a terminal never gets raw ones, hex/base64 both ways, and the two output formats.
import { describe, expect, it } from 'vitest';
import { escapeForTerminal, formatBytes, jsonBytes, parseBytes } from '../../../src/cli/output/bytes-format.js';
import { Printer } from '../../../src/cli/output/printer.js';
import { formatTable, TableWriter } from '../../../src/cli/output/table.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('formatTable()', () => {
  it('aligns columns to the widest cell with two spaces between', () => {
    expect(formatTable(['KEY', 'VALUE', 'VERSION'], [['a', '1', '1'], ['longer-key', 'v', '12']])).toBe([
      'KEY         VALUE  VERSION',
      'a           1      1',
      'longer-key  v      12',
    ].join('\n'));
  });

  it('leaves no trailing spaces when the last cells are empty', () => {
    expect(formatTable(['A', 'B'], [['x', '']]).split('\n').every((line) => line === line.trimEnd())).toBe(true);
  });

  it('counts wide characters as two columns and combining marks as none', () => {
    expect(formatTable(['K', 'V'], [['😀', '1'], ['ab', '2']])).toBe(['K   V', '😀  1', 'ab  2'].join('\n'));
    expect(formatTable(['K', 'V'], [['日本', '1'], ['e\u0301', '2'], ['abcd', '3']])).toBe(['K     V', '日本  1', 'e\u0301     2', 'abcd  3'].join('\n'));
  });

  it('prints only the header for no rows', () => {
    expect(formatTable(['KEY', 'VALUE'], [])).toBe('KEY  VALUE');
  });
});

describe('TableWriter', () => {
  it('prints the header with the first block and never shrinks columns in later blocks', () => {
    let out = '';
    const table = new TableWriter(['KEY', 'V'], (text) => (out += text), 2);
    table.add(['long-key', '1']);
    table.add(['b', '2']);
    table.add(['c', '3']);
    table.flush();
    expect(out).toBe(['KEY       V', 'long-key  1', 'b         2', 'c         3', ''].join('\n'));
  });

  it('prints the header even when no row ever comes', () => {
    let out = '';
    new TableWriter(['KEY'], (text) => (out += text)).flush();
    expect(out).toBe('KEY\n');
  });
});

describe('escapeForTerminal()', () => {
  it.each([
    ['plain text', utf8('hello world'), 'hello world'],
    ['UTF-8 letters', utf8('grüße 日本'), 'grüße 日本'],
    ['newline, tab, return', utf8('a\nb\tc\r'), 'a\\nb\\tc\\r'],
    ['backslash', utf8('a\\b'), 'a\\\\b'],
    ['escape and bell', utf8('\x1b[31m\x07'), '\\x1b[31m\\x07'],
    ['NUL and DEL', bytes(0, 0x7f), '\\x00\\x7f'],
    ['C1 controls', utf8('\u0085\u009b'), '\\x85\\x9b'],
    ['line separator', utf8('\u2028'), '\\u2028'],
    ['invalid UTF-8', bytes(0x61, 0xff, 0xfe, 0x62), 'a\\xff\\xfeb'],
    ['invalid UTF-8 with a valid multibyte char', bytes(0xc3, 0xa9, 0xff), '\\xc3\\xa9\\xff'],
  ])('%s', (_name, input, expected) => {
    expect(escapeForTerminal(input)).toBe(expected);
  });

  it('never outputs a control character, for any single byte', () => {
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    for (let b = 0; b < 256; b++) expect(escapeForTerminal(bytes(b))).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  });
});

describe('formatBytes() and jsonBytes()', () => {
  it('prints hex and base64 exactly', () => {
    expect(formatBytes(bytes(0, 0xff, 0x10), 'hex')).toBe('00ff10');
    expect(formatBytes(bytes(0, 0xff, 0x10), 'base64')).toBe('AP8Q');
  });

  it('JSON keeps valid UTF-8 as is (JSON escapes it) and escapes invalid bytes', () => {
    expect(jsonBytes(utf8('a\nb'), 'text')).toBe('a\nb');
    expect(jsonBytes(bytes(0xff), 'text')).toBe('\\xff');
    expect(jsonBytes(bytes(0xff), 'hex')).toBe('ff');
  });
});

describe('parseBytes()', () => {
  it.each([
    ['text', 'héllo', utf8('héllo')],
    ['hex', '00ff0A', bytes(0, 0xff, 0x0a)],
    ['hex', '0x6869', utf8('hi')],
    ['hex', '', bytes()],
    ['base64', 'AP8Q', bytes(0, 0xff, 0x10)],
    ['base64', 'aGk=', utf8('hi')],
    ['base64', 'aGk', utf8('hi')],
  ] as const)('%s "%s"', (encoding, text, expected) => {
    expect(parseBytes(text, encoding, 'KEY')).toEqual(expected);
  });

  it.each([
    ['hex', 'abc'],
    ['hex', 'zz'],
    ['base64', 'a'],
    ['base64', 'a$b='],
  ] as const)('refuses %s "%s" naming the argument', (encoding, text) => {
    expect(() => parseBytes(text, encoding, 'KEY')).toThrow(/^KEY is not/);
  });

  it('round-trips every byte through hex and base64', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(parseBytes(formatBytes(all, 'hex'), 'hex', 'v')).toEqual(all);
    expect(parseBytes(formatBytes(all, 'base64'), 'base64', 'v')).toEqual(all);
  });
});

describe('Printer', () => {
  const view = { note: 'SUCCESS', columns: ['KEY', 'VALUE'], rows: [['a', '1']], json: { key: 'a', value: '1' } };

  it('table output prints the note, then the aligned table', () => {
    let out = '';
    new Printer('table', (t) => (out += t)).show(view);
    expect(out).toBe('SUCCESS\nKEY  VALUE\na    1\n');
  });

  it('json output prints only the JSON document', () => {
    let out = '';
    const printer = new Printer('json', (t) => (out += t));
    printer.show(view);
    printer.line('not in JSON');
    expect(JSON.parse(out)).toEqual({ key: 'a', value: '1' });
  });

  it('stream() writes a valid JSON array as rows arrive, and [] for none', () => {
    let out = '';
    const sink = new Printer('json', (t) => (out += t)).stream<{ k: number }>(['K']);
    sink.add(['1'], { k: 1 });
    sink.add(['2'], { k: 2 });
    sink.end();
    expect(JSON.parse(out)).toEqual([{ k: 1 }, { k: 2 }]);
    let empty = '';
    const none = new Printer('json', (t) => (empty += t)).stream(['K']);
    none.end();
    expect(JSON.parse(empty)).toEqual([]);
  });
});
