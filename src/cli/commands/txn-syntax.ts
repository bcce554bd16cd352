/**
 * The text form of a transaction read by `kvctl txn` (after etcdctl's): three sections separated
 * by blank lines — compares, then the operations run if all compares hold, then those run if not.
 * Empty sections are allowed (start with a blank line for no compares). `#` starts a comment line.
 */
import { compare, op, type Compare, type CompareOp, type TxnOp } from '../../client/kv-client.js';
import { parseBytes, type ByteEncoding } from '../output/bytes-format.js';

export const TXN_SYNTAX_HELP = `Transaction syntax (a file, or stdin):
  compares, one per line       value("KEY") = "VALUE"   (value compares: = != < >)
                               version("KEY") > 0       (writes since the key was created; 0 = absent)
                               create("KEY") = 5        (revision that created the key)
                               mod("KEY") < 10          (revision of the last write)
  <blank line>
  operations if all hold       put "KEY" "VALUE"
                               del "KEY"
                               get "KEY"
  <blank line>
  operations otherwise         (same forms)
Strings are "double-quoted" (escapes \\" \\\\ \\n \\t \\xNN) or bare words without spaces;
with --hex/--base64 they are read in that encoding. Lines starting with # are comments.
Example:
  value("owner") = "alice"

  put "owner" "bob"

  get "owner"`;

export interface TxnSpec {
  readonly compares: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
}

export class TxnSyntaxError extends Error {
  override readonly name = 'TxnSyntaxError';
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

const STRING = String.raw`"(?:[^"\\]|\\.)*"|[^\s"()]+`;
const COMPARE_RE = new RegExp(String.raw`^(value|version|create|mod)\(\s*(${STRING})\s*\)\s*(==|=|!=|<|>)\s*(${STRING})\s*$`);
const TOKEN_RE = new RegExp(String.raw`\s*(${STRING})`, 'y');
const OPERATORS: Readonly<Record<string, CompareOp>> = { '=': '=', '==': '=', '!=': '!=', '<': '<', '>': '>' };

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = { n: 0x0a, t: 0x09, r: 0x0d, '"': 0x22, '\\': 0x5c };
const encoder = new TextEncoder();

/** The bytes a token stands for: a bare word is its UTF-8; in quotes, `\xNN` is one raw byte. */
export function tokenBytes(token: string, line: number): Uint8Array {
  if (!token.startsWith('"')) return encoder.encode(token);
  const out: number[] = [];
  const body = token.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    if (ch !== '\\') {
      const code = body.codePointAt(i) ?? 0;
      const char = String.fromCodePoint(code);
      out.push(...encoder.encode(char));
      i += char.length - 1;
      continue;
    }
    const next = body[i + 1] ?? '';
    const hex = body.slice(i + 2, i + 4);
    if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 3;
      continue;
    }
    const simple = SIMPLE_ESCAPES[next];
    if (simple === undefined) throw new TxnSyntaxError(line, `unknown escape \\${next} (use \\" \\\\ \\n \\t \\r \\xNN)`);
    out.push(simple);
    i += 1;
  }
  return Uint8Array.from(out);
}

function tokens(text: string, line: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.trim() !== '') {
    TOKEN_RE.lastIndex = 0;
    const match = TOKEN_RE.exec(rest);
    if (match === null || match[1] === undefined) throw new TxnSyntaxError(line, `cannot read "${rest.trim().slice(0, 40)}" (unbalanced quote?)`);
    out.push(match[1]);
    rest = rest.slice(match[0].length);
  }
  return out;
}

interface LineContext {
  readonly line: number;
  readonly encoding: ByteEncoding;
}

/** A key or value token as bytes; with --hex/--base64 its text is decoded in that encoding. */
function bytesOf(token: string, what: string, at: LineContext): Uint8Array {
  const bytes = tokenBytes(token, at.line);
  if (at.encoding === 'text') return bytes;
  return parseBytes(new TextDecoder().decode(bytes), at.encoding, `${what} on line ${at.line}`);
}

export function parseCompare(text: string, at: LineContext): Compare {
  const match = COMPARE_RE.exec(text.trim());
  if (match === null) throw new TxnSyntaxError(at.line, `not a compare: "${text.trim().slice(0, 60)}" (expected e.g. value("k") = "v" or version("k") > 0)`);
  const [, target = '', keyToken = '', operator = '', operandToken = ''] = match;
  const key = bytesOf(keyToken, 'key', at);
  const opSymbol = OPERATORS[operator] ?? '=';
  if (target === 'value') return compare.value(key, opSymbol, bytesOf(operandToken, 'value', at));
  const operand = new TextDecoder().decode(tokenBytes(operandToken, at.line));
  if (!/^\d+$/.test(operand) || !Number.isSafeInteger(Number(operand))) throw new TxnSyntaxError(at.line, `${target}(...) compares against a whole number, got "${operand}"`);
  const n = Number(operand);
  if (target === 'version') return compare.version(key, opSymbol, n);
  return target === 'create' ? compare.createRevision(key, opSymbol, n) : compare.modRevision(key, opSymbol, n);
}

export function parseOp(text: string, at: LineContext): TxnOp {
  const [verb, ...args] = tokens(text, at.line);
  const arity = (n: number, form: string): string[] => {
    if (args.length !== n) throw new TxnSyntaxError(at.line, `${verb ?? ''} takes ${form}, got ${args.length} argument(s)`);
    return args;
  };
  switch (verb) {
    case 'put': {
      const [key = '', value = ''] = arity(2, 'KEY VALUE');
      return op.put(bytesOf(key, 'key', at), bytesOf(value, 'value', at));
    }
    case 'del':
    case 'delete':
      return op.delete(bytesOf(arity(1, 'KEY')[0] ?? '', 'key', at));
    case 'get':
      return op.get(bytesOf(arity(1, 'KEY')[0] ?? '', 'key', at));
    default:
      throw new TxnSyntaxError(at.line, `unknown operation "${verb ?? ''}" (expected put, del or get)`);
  }
}

/** Parses the whole text; line numbers in errors are 1-based. */
export function parseTxn(text: string, encoding: ByteEncoding): TxnSpec {
  const sections: { compares: Compare[]; success: TxnOp[]; failure: TxnOp[] } = { compares: [], success: [], failure: [] };
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  let section = 0;
  for (const [i, raw] of lines.entries()) {
    const at = { line: i + 1, encoding };
    if (raw.trim() === '') {
      section++;
      continue;
    }
    if (raw.trim().startsWith('#')) continue;
    if (section === 0) sections.compares.push(parseCompare(raw, at));
    else if (section === 1) sections.success.push(parseOp(raw, at));
    else if (section === 2) sections.failure.push(parseOp(raw, at));
    else throw new TxnSyntaxError(at.line, 'too many blank lines: a transaction has three sections (compares, then-ops, else-ops)');
  }
  return sections;
}
