/**
 * The auth state (auth-state.ts) as this node knows it, kept as the MetaMap keeps the shard map: one
 * JSON document under one key of group 0 (the meta group, or the only group when unsharded), so it
 * is replicated, in snapshots and in the consistency check like any key. The key is a system key
 * (kv-table.ts): no client call can name it and no range reaches it.
 *
 * Reads are local reads of applied state, so a follower may enforce rules a few entries old for a
 * moment after a change (docs/auth.md). Changes run only on group 0's leader, one at a time:
 * confirm leadership, read, edit, and write back with a compare on the key's version.
 */
import { randomBytes } from 'node:crypto';
import { KvError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import { META_GROUP } from '../shard/placement.js';
import { SYSTEM_KEYS_START } from '../storage/kv-table.js';
import { EMPTY_AUTH, parseAuthState, serializeAuthState, type AuthState } from './auth-state.js';
import { compareAndPut, confirmRead } from './group-calls.js';

export const AUTH_KEY = new Uint8Array([...SYSTEM_KEYS_START, ...new TextEncoder().encode('raftkv/auth')]);
const SECRET_BYTES = 32;

export type AuthEdit = (state: AuthState) => AuthState;

export function unknownState(what: string): KvError {
  return new KvError('NO_LEADER', `Cannot ${what}: this node has no applied copy of the auth state yet (no replica of group 0, or one being installed); retry, or use another node`, { group: META_GROUP });
}

export class AuthStore {
  private cached: { version: number; modRevision: number; state: AuthState } | null = null;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: NodeHost,
    private readonly log: Logger,
  ) {}

  /**
   * The newest auth state this node applied (the empty, disabled state before any change), or null
   * when it cannot know: no replica of group 0 yet (a joining node), or one being installed from a
   * snapshot since the start. The guard then fails closed for data and root calls.
   */
  current(): AuthState | null {
    const meta = this.host.group(META_GROUP);
    if (meta === undefined || meta.installing) return this.cached?.state ?? null;
    return this.read(meta).state;
  }

  /**
   * Why the auth state is unknown here: CORRUPT when this node's group-0 replica is (say, it
   * refused a damaged snapshot and waits for a restart), else NO_LEADER. Both send the caller to
   * another node; CORRUPT also tells an operator what to fix.
   */
  unknownError(what: string): KvError {
    const meta = this.host.group(META_GROUP);
    if (meta?.health.state === 'corrupt') {
      return new KvError('CORRUPT', `Cannot ${what}: this node's replica of group 0, which holds the auth state, is corrupt (${meta.health.reason}); use another node`, { group: META_GROUP });
    }
    return unknownState(what);
  }

  /** current(), or NO_LEADER (retryable elsewhere) when this node does not know the auth state. */
  known(): AuthState {
    const state = this.current();
    if (state === null) throw unknownState('serve the call');
    return state;
  }

  /** Applies `edit` on group 0's leader; resolves with the new state. */
  change(edit: AuthEdit, deadlineMs: number): Promise<AuthState> {
    const run = this.writing.then(() => this.changeNow(edit, deadlineMs));
    this.writing = run.catch(() => undefined);
    return run;
  }

  private async changeNow(edit: AuthEdit, deadlineMs: number): Promise<AuthState> {
    const meta = this.host.group(META_GROUP);
    if (meta === undefined) throw new KvError('WRONG_SHARD', 'Cannot change the auth state here: this node has no replica of the meta group yet', { group: META_GROUP });
    await confirmRead(this.host, meta, deadlineMs);
    const { state, version } = this.read(meta);
    const withSecret = state.secret === '' ? { ...state, secret: randomBytes(SECRET_BYTES).toString('base64') } : state;
    const edited = edit(withSecret);
    // Changes are serialized on this node; a failed compare means another node led meanwhile.
    if (!(await compareAndPut(this.host, meta, AUTH_KEY, version, serializeAuthState(edited), deadlineMs))) throw new KvError('OVERLOADED', 'Cannot change the auth state: it changed concurrently; retry');
    this.log.info({ group: META_GROUP, enabled: edited.enabled }, 'auth state changed');
    return edited;
  }

  private read(meta: GroupDriver): { state: AuthState; version: number } {
    const { kv } = meta.storage.kv.get(AUTH_KEY);
    if (kv === null) return { state: EMPTY_AUTH, version: 0 };
    if (this.cached?.modRevision !== kv.modRevision || this.cached.version !== kv.version) {
      this.cached = { version: kv.version, modRevision: kv.modRevision, state: parseAuthState(new TextDecoder().decode(kv.value)) };
    }
    return { state: this.cached.state, version: kv.version };
  }
}
