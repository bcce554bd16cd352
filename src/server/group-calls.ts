/**
 * The two ways server code talks to a local group and waits for the answer: propose a KV command
 * and wait until it is applied, or confirm leadership for a linearizable read (thesis §6.4). Used
 * by the Kv service for clients and by the shard-map code for the meta group.
 */
import { KvError } from '../shared/errors.js';
import { encodeKvCommand } from '../storage/kv-command-codec.js';
import { validateKvCommand, type KvCommand } from '../storage/kv-command.js';
import type { AppliedEntry } from '../storage/kv-types.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import type { PendingBudget } from '../runtime/pending-budget.js';
import { withDeadline } from './rpc.js';

/** Proposes `command` and resolves with its applied result; error results are thrown as KvErrors. */
export async function proposeKv(host: NodeHost, driver: GroupDriver, command: KvCommand, deadlineMs: number): Promise<AppliedEntry> {
  const invalid = validateKvCommand(command);
  if (invalid !== null) throw invalid;
  driver.checkServing('write');
  if (driver.proposals.isFull()) throw overloaded('write', 'writes already wait for commit', driver.proposals.budget);
  const proposed = driver.core.propose(encodeKvCommand(command));
  if (!proposed.ok) throw driver.errorFromCore(proposed.error);
  const { index, term } = proposed.value;
  host.schedule();
  const applied = await withDeadline(driver.proposals.track(index, term), deadlineMs, () => driver.proposals.cancel(index),
    () => new KvError('TIMEOUT', `Cannot tell whether the write applied: the deadline of ${deadlineMs} ms passed (outcome unknown)`));
  const result = applied.result;
  if (result.type === 'error') throw new KvError(result.code, result.message, result.field === null ? {} : { field: result.field });
  return applied;
}

/** Resolves once this node may serve a linearizable read of the group's local state. */
/**
 * Writes `value` under `key` if the key's version is still `version` (0: absent), through the
 * group's log: how one node edits a document that several nodes may edit (the shard map, the
 * auth state). False when the compare failed, i.e. someone changed it since it was read.
 */
export async function compareAndPut(host: NodeHost, driver: GroupDriver, key: Uint8Array, version: number, value: string, deadlineMs: number): Promise<boolean> {
  const applied = await proposeKv(host, driver, {
    type: 'txn', timeMs: Date.now(),
    compares: [{ key, target: 'version', op: '=', number: version }],
    success: [{ type: 'put', key, value: new TextEncoder().encode(value) }],
    failure: [],
  }, deadlineMs);
  return applied.result.type === 'txn' && applied.result.succeeded;
}

export async function confirmRead(host: NodeHost, driver: GroupDriver, deadlineMs: number): Promise<void> {
  const { requestId, ready } = startRead(driver);
  const started = driver.core.readIndex(requestId);
  if (!started.ok) {
    driver.reads.cancel(requestId);
    throw driver.errorFromCore(started.error);
  }
  host.schedule();
  await withDeadline(ready, deadlineMs, () => driver.reads.cancel(requestId),
    () => new KvError('TIMEOUT', `Cannot serve the read: the deadline of ${deadlineMs} ms passed before leadership was confirmed`));
}

/**
 * Registers a read with the node's read budget, or refuses it at once when the budget is spent:
 * under overload the client hears OVERLOADED and backs off, before the read costs the leader a
 * heartbeat round or waits behind thousands of others until its deadline.
 */
export function startRead(driver: GroupDriver): { requestId: string; ready: Promise<number> } {
  if (driver.reads.isFull()) throw overloaded('read', 'reads already wait for confirmation', driver.reads.budget);
  return driver.reads.start();
}

function overloaded(what: string, waiting: string, budget: PendingBudget): KvError {
  return new KvError('OVERLOADED', `Cannot accept ${what}: ${budget.size} ${waiting} on this node, the bound of ${budget.max} (${budget.name}); retry later`);
}
