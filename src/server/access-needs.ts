/**
 * What each client-port method needs from the caller when auth is on (docs/auth.md): the key
 * accesses of a data call, the root role for cluster operations and auth administration, any valid
 * user for read-only cluster views, or nothing. Decoded with the handlers' own decoders
 * (requests.ts), so the keys checked are the keys served.
 */
import { keyBounds, type KeyBounds } from '../storage/kv-table.js';
import type { TxnOp } from '../storage/kv-command.js';
import type { KeyNeed } from './auth-state.js';
import * as req from './requests.js';
import type { Obj } from './rpc.js';

export type Need =
  | { readonly kind: 'open' }
  | { readonly kind: 'user' }
  | { readonly kind: 'root' }
  | { readonly kind: 'keys'; readonly keys: KeyNeed };

/** Open without a credential: the node's status (health checks), logging in, and auth status. */
const OPEN = new Set(['Status', 'Authenticate', 'AuthStatus']);
/** Read-only views any user may see: the SDK routes by the shard map, kvctl status lists members. */
const ANY_USER = new Set(['MemberList', 'ShardMap', 'NodeStats', 'ListAlarms']);

function point(key: Uint8Array): KeyBounds {
  const upper = new Uint8Array(key.byteLength + 1);
  upper.set(key);
  return { lower: key, upper };
}

function txnNeed(r: Obj): KeyNeed {
  const body = req.txnBody(r);
  if (body.type !== 'txn') return { read: [], write: [] };
  const ops: TxnOp[] = [...body.success, ...body.failure];
  const read = [...body.compares.map((c) => point(c.key)), ...ops.flatMap((op) => (op.type === 'get' ? [point(op.key)] : op.type === 'range' ? [keyBounds(op.query)] : []))];
  const write = ops.flatMap((op) => (op.type === 'put' || op.type === 'delete' ? [point(op.key)] : []));
  return { read, write };
}

function keysNeed(method: string, r: Obj): KeyNeed | null {
  switch (method) {
    case 'Put':
    case 'Delete':
      return { read: [], write: [point(req.bytes(r, 'key'))] };
    case 'Get':
      return { read: [point(req.bytes(r, 'key'))], write: [] };
    case 'Range':
      return { read: [keyBounds(req.rangeQuery(r))], write: [] };
    case 'BatchPut': {
      const body = req.batchPutBody(r);
      return { read: [], write: body.type === 'batchPut' ? body.items.map((item) => point(item.key)) : [] };
    }
    case 'Txn':
      return txnNeed(r);
    default:
      return null;
  }
}

/** Unknown methods need root: a method added later is closed until someone decides otherwise. */
export function needOf(method: string, request: Obj): Need {
  if (OPEN.has(method)) return { kind: 'open' };
  if (ANY_USER.has(method)) return { kind: 'user' };
  const decoded = req.decode(() => keysNeed(method, request));
  // A request that does not decode needs a valid user; its handler then refuses it by field.
  if (!decoded.ok) return { kind: 'user' };
  return decoded.value === null ? { kind: 'root' } : { kind: 'keys', keys: decoded.value };
}
