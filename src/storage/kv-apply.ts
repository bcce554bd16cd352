/**
 * Executes one validated KV command against a group's keys. All keys a command writes get the
 * same new revision; the group revision moves only if something changed (etcd semantics). Runs
 * inside the state machine's apply transaction, so a throw here undoes the whole batch.
 */
import { unreachable } from '../shared/assert.js';
import type { Compare, CompareOp, DeleteOp, KvCommandBody, PutOp, TxnOp } from './kv-command.js';
import type { KvTable } from './kv-table.js';
import type { CommandResult, OpResult } from './kv-types.js';

export interface Executed {
  readonly result: CommandResult;
  /** The group revision after the command. */
  readonly revision: number;
}

export function executeCommand(table: KvTable, command: KvCommandBody, revision: number): Executed {
  const run = new Execution(table, revision + 1);
  const after = (): number => (run.changed ? run.next : revision);
  switch (command.type) {
    case 'put': {
      const { prevKv } = run.put(command);
      return { result: { type: 'put', revision: after(), prevKv }, revision: after() };
    }
    case 'delete': {
      const { deleted, prevKv } = run.delete(command);
      return { result: { type: 'delete', revision: after(), deleted, prevKv }, revision: after() };
    }
    case 'deleteRange': {
      const deleted = table.deleteRange(command.range);
      run.changed = deleted > 0;
      return { result: { type: 'deleteRange', revision: after(), deleted }, revision: after() };
    }
    case 'batchPut':
      for (const item of command.items) run.put({ type: 'put', key: item.key, value: item.value });
      return { result: { type: 'batchPut', revision: after() }, revision: after() };
    case 'txn': {
      const succeeded = command.compares.every((compare) => compareHolds(table, compare));
      const results = (succeeded ? command.success : command.failure).map((op) => run.op(op));
      return { result: { type: 'txn', revision: after(), succeeded, results }, revision: after() };
    }
    case 'split':
    case 'hashCheck':
      throw new Error(`A ${command.type} is applied by the state machine (kv-state-machine.ts), never as a KV command`);
    default:
      return unreachable(command);
  }
}

class Execution {
  changed = false;

  constructor(
    private readonly table: KvTable,
    /** The revision this command's writes carry. */
    readonly next: number,
  ) {}

  put(op: PutOp): Extract<OpResult, { type: 'put' }> {
    this.changed = true;
    if (op.prevKv === true) return { type: 'put', prevKv: this.table.putReturningPrev(op.key, op.value, this.next) };
    this.table.put(op.key, op.value, this.next);
    return { type: 'put', prevKv: null };
  }

  delete(op: DeleteOp): Extract<OpResult, { type: 'delete' }> {
    const prev = this.table.delete(op.key);
    if (prev !== null) this.changed = true;
    return { type: 'delete', deleted: prev !== null, prevKv: op.prevKv === true ? prev : null };
  }

  op(op: TxnOp): OpResult {
    switch (op.type) {
      case 'put':
        return this.put(op);
      case 'delete':
        return this.delete(op);
      case 'get':
        return { type: 'get', kv: this.table.get(op.key) };
      case 'range':
        return { type: 'range', ...this.table.range(op.query) };
    }
  }
}

/** etcd rules: on a missing key, numeric targets read 0 and a value compare is false. */
function compareHolds(table: KvTable, compare: Compare): boolean {
  const kv = table.get(compare.key);
  if (compare.target === 'value') return kv !== null && holds(Buffer.compare(kv.value, compare.value), compare.op);
  const actual = kv === null ? 0 : kv[compare.target];
  return holds(Math.sign(actual - compare.number), compare.op);
}

function holds(order: number, op: CompareOp): boolean {
  switch (op) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
  }
}
