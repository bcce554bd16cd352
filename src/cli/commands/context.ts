/**
 * What every kvctl command gets: the parsed flags, a lazily created SDK client, the printer and
 * the byte encoding, plus the exit codes commands return.
 */
import { createClient, type ClientTlsOptions, type Credentials, type KvClient } from '../../client/kv-client.js';
import { formatBytes, jsonBytes, parseBytes, type ByteEncoding } from '../output/bytes-format.js';
import type { Printer } from '../output/printer.js';
import type { FlagSpecs, Flags } from './args.js';

/** kvctl's exit codes (also in `kvctl --help`). */
export const EXIT = { ok: 0, error: 1, usage: 2, notFound: 3, compareFailed: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface CommandContext {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly encoding: ByteEncoding;
  readonly out: Printer;
  /** Writes to stderr (messages that are not results). */
  readonly warn: (text: string) => void;
  readonly flags: Flags;
  /** Positionals after the command word(s). */
  readonly args: readonly string[];
  /** The SDK client, created on first use and closed by kvctl.ts. */
  client(): KvClient;
  /** Reads all of stdin (for `put` without a value and `txn` without a file). */
  readStdin(): Promise<Uint8Array>;
  readonly stdinIsTty: boolean;
}

export interface Command {
  /** The command word, e.g. `get` or `member`. */
  readonly name: string;
  /** Short usage for the overview, e.g. `put KEY [VALUE]`. */
  readonly brief: string;
  /** Full usage lines for the command's help. */
  readonly usage: readonly string[];
  /** One line, under 60 characters. */
  readonly summary: string;
  /** More help: syntax, examples. */
  readonly details?: string;
  readonly flags: FlagSpecs;
  run(context: CommandContext): Promise<ExitCode>;
}

/** Lazily creates one client for the whole kvctl run. */
export function clientFactory(endpoints: readonly string[], timeoutMs: number, credentials?: Credentials, tls?: ClientTlsOptions): { get: () => KvClient; close: () => void } {
  let client: KvClient | undefined;
  return {
    get: () => (client ??= createClient({ endpoints, defaultDeadlineMs: timeoutMs, ...(credentials === undefined ? {} : { credentials }), ...(tls === undefined ? {} : { tls }) })),
    close: () => client?.close(),
  };
}

/** Key or value bytes from a command-line argument, per --hex/--base64. */
export function argBytes(context: CommandContext, text: string, what: string): Uint8Array {
  return parseBytes(text, context.encoding, what);
}

/** Bytes for a table cell. */
export function cell(context: CommandContext, bytes: Uint8Array): string {
  return formatBytes(bytes, context.encoding);
}

/** Bytes for JSON output. */
export function json(context: CommandContext, bytes: Uint8Array): string {
  return jsonBytes(bytes, context.encoding);
}
