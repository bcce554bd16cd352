/**
 * kvctl's command line: global flags (shared by every command), per-command flags, durations
 * (`5s`, `500ms`, `1m30s`), counts and endpoint lists. Bad input is a UsageError (exit code 2).
 */
import { parseArgs } from 'node:util';
import type { ByteEncoding } from '../output/bytes-format.js';
import type { OutputFormat } from '../output/printer.js';
import { AUTH_FLAGS } from './auth-flags.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at, if known. */
    readonly command?: string,
  ) {
    super(message);
  }
}

export const ENDPOINTS_DEFAULT = '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003';
export const TIMEOUT_DEFAULT = '5s';

/** A flag a command accepts, as node:util parseArgs describes it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** For help text: what the flag does (and its value's form). */
  readonly help: string;
  readonly value?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export const GLOBAL_FLAGS: FlagSpecs = {
  endpoints: { type: 'string', value: 'A,B,C', help: `comma-separated host:port list (env KVCTL_ENDPOINTS; default ${ENDPOINTS_DEFAULT})` },
  output: { type: 'string', short: 'o', value: 'FORMAT', help: 'table (default, aligned columns) or json' },
  timeout: { type: 'string', value: 'DURATION', help: `deadline of each call, e.g. 500ms, 5s, 1m (default ${TIMEOUT_DEFAULT})` },
  hex: { type: 'boolean', help: 'keys and values are hex on input and output' },
  base64: { type: 'boolean', help: 'keys and values are base64 on input and output' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  ...AUTH_FLAGS,
  // TLS (tls-flags.ts turns these into the SDK's tls option).
  cacert: { type: 'string', value: 'FILE', help: 'CA certificate (PEM) that signed the servers\' certificates; turns TLS on (env KVCTL_CACERT)' },
  cert: { type: 'string', value: 'FILE', help: 'client certificate (PEM) for a cluster with --client-cert-auth (env KVCTL_CERT)' },
  key: { type: 'string', value: 'FILE', help: 'key (PEM) of --cert (env KVCTL_KEY)' },
};

/** Parsed flags with typed accessors. */
export class Flags {
  constructor(private readonly values: Readonly<Record<string, string | boolean | undefined>>) {}

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  bool(name: string): boolean {
    return this.values[name] === true;
  }
}

export interface ParsedCommandLine {
  readonly positionals: readonly string[];
  readonly flags: Flags;
}

/** Parses argv against the global flags plus `specs`; unknown flags are usage errors. */
export function parseCommandLine(argv: readonly string[], specs: FlagSpecs, command?: string): ParsedCommandLine {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_FLAGS, ...specs })) {
    options[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { positionals, flags: new Flags(values as Record<string, string | boolean | undefined>) };
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error);
    throw new UsageError(`${message} (put -- before a value that starts with "-")`, command);
  }
}

/** The first positional word (the command), found without knowing the command's own flags. */
export function commandWord(argv: readonly string[]): { word: string | undefined; sub: string | undefined } {
  const { positionals } = parseArgs({ args: [...argv], options: globalOptionTypes(), allowPositionals: true, strict: false });
  return { word: positionals[0], sub: positionals[1] };
}

function globalOptionTypes(): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, spec] of Object.entries(GLOBAL_FLAGS)) out[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  return out;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `500ms`, `5s`, `1.5s`, `1m30s`, `2h` as milliseconds (rounded); a unit is required. */
export function parseDuration(text: string, flag: string): number {
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) : null;
  if (parts === null) throw new UsageError(`--${flag} must be a duration with a unit, like 500ms, 5s or 1m (got "${text}")`);
  let total = 0;
  for (const part of parts) {
    const unit = /(ms|s|m|h)$/.exec(part)?.[1] ?? 's';
    total += Number(part.slice(0, part.length - unit.length)) * (DURATION_UNITS_MS[unit] ?? 1_000);
  }
  if (total <= 0) throw new UsageError(`--${flag} must be more than zero (got "${text}")`);
  return Math.round(total);
}

/** A whole number within bounds, from a flag or argument. */
export function parseCount(text: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${what} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`} (got "${text}")`);
  }
  return n;
}

/** The endpoint list from --endpoints, else KVCTL_ENDPOINTS, else the local default. */
export function parseEndpoints(flag: string | undefined, env: string | undefined): string[] {
  const text = flag ?? (env !== undefined && env.trim() !== '' ? env : ENDPOINTS_DEFAULT);
  const list = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (list.length === 0) throw new UsageError('--endpoints is empty: give host:port of at least one node, like 127.0.0.1:7001');
  for (const endpoint of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(endpoint) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(endpoint)) {
      throw new UsageError(`endpoint "${endpoint}" is not host:port (like 127.0.0.1:7001)`);
    }
  }
  return list;
}

export function parseOutput(text: string | undefined): OutputFormat {
  if (text === undefined || text === 'table') return 'table';
  if (text === 'json') return 'json';
  throw new UsageError(`--output must be table or json (got "${text}")`);
}

export function parseEncoding(flags: Flags): ByteEncoding {
  if (flags.bool('hex') && flags.bool('base64')) throw new UsageError('--hex and --base64 cannot be used together');
  if (flags.bool('hex')) return 'hex';
  return flags.bool('base64') ? 'base64' : 'text';
}

/** Exactly `names.length` positionals after the command words, else a usage error naming them. */
export function expectArgs(args: readonly string[], names: readonly string[], command: string): string[] {
  if (args.length !== names.length) {
    const missing = args.length < names.length ? `missing ${names.slice(args.length).join(' ')}` : `unexpected "${args[names.length] ?? ''}"`;
    throw new UsageError(`${command}: ${missing}`, command);
  }
  return [...args];
}
