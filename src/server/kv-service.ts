/**
 * gRPC handlers of the public Kv service. Each handler decodes and validates its request (a bad
 * request is INVALID_ARGUMENT naming the field or limit), then writes through the Raft log or
 * reads with the requested consistency, honouring the call's deadline end to end. Expected
 * failures are KvErrors mapped in status-mapping.ts; a broken invariant stops the process.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { KvError } from '../shared/errors.js';
import { checkKey, type KvCommandBody, type SessionRef } from '../storage/kv-command.js';
import type { AppliedEntry } from '../storage/kv-types.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { NodeHost } from '../runtime/node-host.js';
import * as req from './requests.js';
import { header, keyValue, revisionOf, writeBody } from './responses.js';
import { handleRange } from './range-handler.js';
import { decoded, unary, withDeadline, type Handler, type Obj, type RpcContext } from './rpc.js';
import { statusResponse, type StatusContext } from './status-handler.js';
import type { Router } from './router.js';
import { confirmRead, proposeKv, startRead } from './group-calls.js';
import type { WriteAdmission } from './write-admission.js';

export interface KvServiceOptions extends RpcContext {
  readonly nodeId: number;
  readonly host: NodeHost;
  readonly router: Router;
  readonly leaseReads: boolean;
  readonly status: StatusContext;
  /** Refuses writes that add data while a replica of their group is out of space (NOSPACE). */
  readonly admission: WriteAdmission;
}

export function createKvService(options: KvServiceOptions): UntypedServiceImplementation {
  const kv = new KvHandlers(options);
  const wrap = (method: string, handler: Handler) => unary(options, method, handler);
  return {
    Put: wrap('Put', (r, d) => kv.put(r, d)),
    Get: wrap('Get', (r, d) => kv.get(r, d)),
    Delete: wrap('Delete', (r, d) => kv.delete(r, d)),
    Range: wrap('Range', (r, d) => kv.range(r, d)),
    Txn: wrap('Txn', (r, d) => kv.txn(r, d)),
    BatchPut: wrap('BatchPut', (r, d) => kv.batchPut(r, d)),
    Status: wrap('Status', (r) => Promise.resolve(statusResponse(options.status, r))),
  };
}

class KvHandlers {
  constructor(private readonly options: KvServiceOptions) {}

  private driverFor(keys: readonly Uint8Array[], what: string): GroupDriver {
    const router = this.options.router;
    return router.local(keys.length === 1 && keys[0] !== undefined ? router.groupOf(keys[0]) : router.groupOfAll(keys, what), keys[0]);
  }

  private header(driver: GroupDriver, revision: number, serializable = false): Obj {
    return { ...header(driver.group, revision, driver.core.status().term, this.options.nodeId, serializable) };
  }

  private async write(body: KvCommandBody, session: SessionRef | undefined, deadlineMs: number): Promise<{ driver: GroupDriver; applied: AppliedEntry }> {
    const driver = this.driverFor(keysOf(body, this.options.router.sharded), body.type);
    const { voters, learners } = driver.core.status().conf;
    this.options.admission.check(driver.group, [...voters, ...learners], body);
    const command = { ...body, timeMs: Date.now(), ...(session === undefined ? {} : { session }) };
    return { driver, applied: await proposeKv(this.options.host, driver, command, deadlineMs) };
  }

  private readBarrier(driver: GroupDriver, deadlineMs: number): Promise<void> {
    return confirmRead(this.options.host, driver, deadlineMs);
  }

  /** A lease read if the lease holds; otherwise the same guarantee through a ReadIndex round. */
  private async leaseBarrier(driver: GroupDriver, deadlineMs: number): Promise<void> {
    if (!this.options.leaseReads) {
      throw new KvError('INVALID_ARGUMENT', 'Cannot serve a lease read: this server runs without --lease-reads; use LINEARIZABLE or SERIALIZABLE', { field: 'consistency' });
    }
    this.options.host.catchUpTicks();
    const lease = driver.core.leaseRead();
    if (!lease.ok && lease.error.code !== 'BUSY') throw driver.errorFromCore(lease.error);
    if (!lease.ok) return this.readBarrier(driver, deadlineMs);
    const { requestId, ready } = startRead(driver);
    driver.reads.confirmed(requestId, lease.value, driver.storage.kv.appliedIndex());
    await withDeadline(ready, deadlineMs, () => driver.reads.cancel(requestId),
      () => new KvError('TIMEOUT', `Cannot serve the read: the deadline of ${deadlineMs} ms passed before it was applied`));
  }

  private async readable(driver: GroupDriver, request: Obj, deadlineMs: number): Promise<{ driver: GroupDriver; serializable: boolean }> {
    const consistency = req.consistency(request);
    const use = consistency === 'serializable' ? 'serializable' : 'linearizable';
    driver.checkServing(use);
    if (driver.installing) throw new KvError('NO_LEADER', 'Cannot serve the read: a snapshot is being installed on this node', { group: driver.group });
    if (consistency === 'lease') await this.leaseBarrier(driver, deadlineMs);
    if (consistency === 'linearizable') await this.readBarrier(driver, deadlineMs);
    driver.checkServing(use); // The consistency check may have failed while the read waited.
    return { driver, serializable: consistency === 'serializable' };
  }

  async put(r: Obj, deadlineMs: number): Promise<Obj> {
    const body = decoded(() => ({ type: 'put' as const, key: req.bytes(r, 'key'), value: req.bytes(r, 'value'), prevKv: req.bool(r, 'prevKv') }));
    const { driver, applied } = await this.write(body, decoded(() => req.session(r)), deadlineMs);
    return { header: this.header(driver, revisionOf(applied.result)), ...writeBody(applied.result) };
  }

  async delete(r: Obj, deadlineMs: number): Promise<Obj> {
    const body = decoded(() => ({ type: 'delete' as const, key: req.bytes(r, 'key'), prevKv: req.bool(r, 'prevKv') }));
    const { driver, applied } = await this.write(body, decoded(() => req.session(r)), deadlineMs);
    return { header: this.header(driver, revisionOf(applied.result)), ...writeBody(applied.result) };
  }

  async txn(r: Obj, deadlineMs: number): Promise<Obj> {
    const body = decoded(() => req.txnBody(r));
    const { driver, applied } = await this.write(body, decoded(() => req.session(r)), deadlineMs);
    return { header: this.header(driver, revisionOf(applied.result)), ...writeBody(applied.result) };
  }

  async batchPut(r: Obj, deadlineMs: number): Promise<Obj> {
    const body = decoded(() => req.batchPutBody(r));
    const { driver, applied } = await this.write(body, decoded(() => req.session(r)), deadlineMs);
    return { header: this.header(driver, revisionOf(applied.result)) };
  }

  async get(r: Obj, deadlineMs: number): Promise<Obj> {
    const key = decoded(() => req.bytes(r, 'key'));
    const invalid = checkKey(key, 'key');
    if (invalid !== null) throw invalid;
    const { driver, serializable } = await this.readable(this.driverFor([key], 'get'), r, deadlineMs);
    if (!driver.storage.kv.owns(key)) throw movedAway(driver);
    const result = driver.storage.kv.get(key);
    const body = result.kv === null ? { found: false } : { found: true, kv: keyValue(result.kv) };
    return { header: this.header(driver, result.revision, serializable), ...body };
  }

  /** One group's keys, or every data group's merged in key order: range-handler.ts. */
  range(r: Obj, deadlineMs: number): Promise<Obj> {
    const readable = (driver: GroupDriver, request: Obj, ms: number) => this.readable(driver, request, ms);
    return handleRange({ nodeId: this.options.nodeId, router: this.options.router, readable }, r, deadlineMs);
  }
}

/** A group that split answers WRONG_SHARD for keys it no longer owns (checked after the read barrier). */
function movedAway(driver: GroupDriver): KvError {
  const range = driver.storage.kv.descriptor();
  const owned = range === null ? '' : ` (it owns ring range [${range.start}, ${range.end}))`;
  return new KvError('WRONG_SHARD', `Cannot serve the key here: group ${driver.group} no longer owns it since a split${owned}; refresh the shard map`, { group: driver.group });
}

/** Keys a write touches, to pick its group. Ranges inside a txn cannot be routed when sharded. */
function keysOf(body: KvCommandBody, sharded: boolean): Uint8Array[] {
  switch (body.type) {
    case 'put':
    case 'delete':
      return [body.key];
    case 'batchPut':
      return body.items.map((item) => item.key);
    case 'deleteRange':
      throw new KvError('INVALID_ARGUMENT', 'Cannot delete a range through this call', { field: 'request' });
    case 'txn': {
      const ops = [...body.success, ...body.failure];
      if (sharded && ops.some((op) => op.type === 'range')) {
        throw new KvError('INVALID_ARGUMENT', 'Cannot run a range inside a txn on a sharded cluster: a txn runs in one group; use Range', { field: 'success' });
      }
      const keys = [...body.compares.map((c) => c.key), ...ops.flatMap((op) => (op.type === 'range' ? [] : [op.key]))];
      return keys.length > 0 ? keys : [new Uint8Array(0)];
    }
    case 'split':
    case 'hashCheck':
      throw new KvError('INVALID_ARGUMENT', `Cannot run a ${body.type} through this call`, { field: 'request' });
  }
}
