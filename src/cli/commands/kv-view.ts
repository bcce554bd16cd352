/**
 * How kvctl shows key-values: table rows and JSON objects, shared by get, scan and txn.
 */
import type { KeyValue } from '../../client/kv-client.js';
import { cell, json, type CommandContext } from './context.js';

export const KV_COLUMNS = ['KEY', 'VALUE', 'VERSION', 'CREATE_REV', 'MOD_REV'] as const;
export const KEY_ONLY_COLUMNS = ['KEY', 'VERSION', 'CREATE_REV', 'MOD_REV'] as const;

export function kvRow(context: CommandContext, kv: KeyValue, keysOnly = false): string[] {
  const tail = [String(kv.version), String(kv.createRevision), String(kv.modRevision)];
  return keysOnly ? [cell(context, kv.key), ...tail] : [cell(context, kv.key), cell(context, kv.value), ...tail];
}

export interface KvJson {
  readonly key: string;
  readonly value?: string;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
}

export function kvJson(context: CommandContext, kv: KeyValue, keysOnly = false): KvJson {
  const versions = { version: kv.version, createRevision: kv.createRevision, modRevision: kv.modRevision };
  return keysOnly ? { key: json(context, kv.key), ...versions } : { key: json(context, kv.key), value: json(context, kv.value), ...versions };
}
