/**
 * Keys and values on a terminal: how kvctl shows bytes (escaped text, hex or base64) and reads
 * them from the command line. A terminal never receives raw control bytes from kvctl: text that
 * is not valid UTF-8, or contains control characters, is escaped.
 */

export type ByteEncoding = 'text' | 'hex' | 'base64';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

const NAMED_ESCAPES: Readonly<Record<number, string>> = { 0x09: '\\t', 0x0a: '\\n', 0x0d: '\\r', 0x5c: '\\\\' };

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators. */
function isControl(codePoint: number): boolean {
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f) || codePoint === 0x2028 || codePoint === 0x2029;
}

function escapeCodePoint(codePoint: number): string {
  const named = NAMED_ESCAPES[codePoint];
  if (named !== undefined) return named;
  if (!isControl(codePoint)) return String.fromCodePoint(codePoint);
  return codePoint <= 0xff ? `\\x${hex2(codePoint)}` : `\\u${codePoint.toString(16).padStart(4, '0')}`;
}

/** Escapes byte by byte: printable ASCII stays, everything else is `\xNN`. */
function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const named = NAMED_ESCAPES[b];
    if (named !== undefined) out += named;
    else out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${hex2(b)}`;
  }
  return out;
}

/** The bytes as UTF-8 text, or undefined if they are not valid UTF-8. */
export function validUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Printable text for any bytes: valid UTF-8 keeps its characters with controls and backslash
 * escaped (`\n`, `\t`, `\x1b`, `\\`); anything else is escaped byte by byte (`\xff`).
 */
export function escapeForTerminal(bytes: Uint8Array): string {
  const text = validUtf8(bytes);
  if (text === undefined) return escapeBytes(bytes);
  let out = '';
  for (const ch of text) out += escapeCodePoint(ch.codePointAt(0) ?? 0);
  return out;
}

/** Bytes as kvctl shows them in a table. */
export function formatBytes(bytes: Uint8Array, encoding: ByteEncoding): string {
  switch (encoding) {
    case 'hex':
      return Buffer.from(bytes).toString('hex');
    case 'base64':
      return Buffer.from(bytes).toString('base64');
    case 'text':
      return escapeForTerminal(bytes);
  }
}

/**
 * Bytes as kvctl writes them into JSON: valid UTF-8 as the string itself (JSON escapes controls),
 * other bytes in the escaped form; with --hex/--base64, that encoding.
 */
export function jsonBytes(bytes: Uint8Array, encoding: ByteEncoding): string {
  if (encoding !== 'text') return formatBytes(bytes, encoding);
  return validUtf8(bytes) ?? escapeBytes(bytes);
}

export class InputEncodingError extends Error {
  override readonly name = 'InputEncodingError';
}

/** Command-line text as bytes: UTF-8, or decoded from hex/base64 (strictly: bad input throws). */
export function parseBytes(text: string, encoding: ByteEncoding, what: string): Uint8Array {
  switch (encoding) {
    case 'text':
      return encoder.encode(text);
    case 'hex': {
      const clean = text.startsWith('0x') ? text.slice(2) : text;
      if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new InputEncodingError(`${what} is not hex (pairs of 0-9a-f): "${text.slice(0, 40)}"`);
      return new Uint8Array(Buffer.from(clean, 'hex'));
    }
    case 'base64': {
      const clean = text.replace(/=+$/, '');
      if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) throw new InputEncodingError(`${what} is not base64: "${text.slice(0, 40)}"`);
      return new Uint8Array(Buffer.from(text, 'base64'));
    }
  }
}
