/**
 * The Range handler of the Kv service. One call reads one group (`single_group`) or merges every
 * data group hosted here, in bounded steps that yield to the event loop (range-page.ts), and
 * answers at most `rangeLimits.pageRowsMax` rows and about `pageBytesMax` bytes whatever `limit`
 * asked for (0 included), with a page token bound to the range (src/shard/page-token.ts) when
 * more keys follow. A token of another range, or a changed one, is INVALID_ARGUMENT on
 * `page_token`: continuing from it would silently return the wrong keys.
 */
import { KvError } from '../shared/errors.js';
import { groupId } from '../shared/ids.js';
import { decodePageToken, encodePageToken, type TokenRange } from '../shard/page-token.js';
import type { GroupDriver } from '../runtime/group-driver.js';
import type { RingBounds } from '../storage/apply-state.js';
import { yieldToEventLoop } from '../storage/event-loop.js';
import { validateRangeQuery } from '../storage/kv-command.js';
import type { RangeQuery } from '../storage/kv-types.js';
import { storageLimits } from '../storage/storage-limits.js';
import { rangeLimits } from './range-limits.js';
import { collectPage, countKeys, type RowSource, type Steps } from './range-page.js';
import * as req from './requests.js';
import { header, keyValue } from './responses.js';
import { decoded, type Obj } from './rpc.js';
import type { Router } from './router.js';

export interface RangeHandlerOptions {
  readonly nodeId: number;
  readonly router: Router;
  /** Waits for the read barrier of the request's consistency on `driver` (kv-service.ts). */
  readonly readable: (driver: GroupDriver, request: Obj, deadlineMs: number) => Promise<{ driver: GroupDriver; serializable: boolean }>;
}

/** Answers one RangeRequest. */
export async function handleRange(options: RangeHandlerOptions, r: Obj, deadlineMs: number): Promise<Obj> {
  const deadlineAt = Date.now() + deadlineMs;
  const query = decoded(() => req.rangeQuery(r));
  const { after, count } = decoded(() => pageAfter(r));
  const invalid = validateRangeQuery(after === null ? query : { ...query, after });
  if (invalid !== null) throw invalid;
  const router = options.router;
  const single = decoded(() => req.bool(r, 'singleGroup'));
  const groups = single ? [groupId(decoded(() => req.uint(r, 'groupId')))] : router.dataGroups();
  const expected = (driver: GroupDriver): RingBounds | null => (single ? requestedBounds(r) : router.rangeOf(driver.group));
  const reads = await Promise.all(groups.map((g) => options.readable(router.local(g), r, deadlineMs)));
  const drivers = reads.map((x) => x.driver);
  const steps: Steps = {
    yieldStep: pacedYield(rangeLimits.busyMsMax),
    guard: () => {
      if (Date.now() > deadlineAt) throw new KvError('TIMEOUT', `Cannot finish the range page: the deadline of ${deadlineMs} ms passed`);
      for (const driver of drivers) checkReadable(driver, expected(driver));
    },
  };
  steps.guard();
  const sources = drivers.map((driver) => rowSource(driver, query));
  const revision = drivers.length === 1 ? (drivers[0]?.storage.kv.revision() ?? 0) : 0;
  const page = query.countOnly === true
    ? { kvs: [], more: false, count: await countKeys(sources, rangeLimits, steps) }
    : await collectPage(sources, { after, count, limit: query.limit ?? rangeLimits.pageRowsMax }, rangeLimits, steps);
  const last = page.kvs[page.kvs.length - 1];
  const [first] = reads;
  const serializable = reads.some((x) => x.serializable);
  return {
    header: first !== undefined && reads.length === 1
      ? header(first.driver.group, revision, first.driver.core.status().term, options.nodeId, serializable)
      : header(0, 0, 0, options.nodeId, serializable),
    kvs: page.kvs.map(keyValue),
    more: page.more,
    count: String(page.count),
    nextPageToken: page.more && last !== undefined ? Buffer.from(encodePageToken(tokenRange(r), last.key, page.count)) : Buffer.alloc(0),
  };
}

/** Yields to the event loop between steps, and sleeps a timer turn after `busyMsMax` of them. */
function pacedYield(busyMsMax: number): () => Promise<void> {
  let busySince = performance.now();
  return async () => {
    if (performance.now() - busySince < busyMsMax) return yieldToEventLoop();
    await new Promise((resolve) => setTimeout(resolve, 1));
    busySince = performance.now();
  };
}

function tokenRange(r: Obj): TokenRange {
  return { start: req.bytes(r, 'start'), end: req.bytes(r, 'end'), prefix: req.bool(r, 'prefix') };
}

/**
 * The key the request's page token continues after (null for a first page), and the range's
 * count the token carries from its first page, if any. Throws a KvError.
 */
function pageAfter(r: Obj): { after: Uint8Array | null; count: number | null } {
  const token = req.bytes(r, 'pageToken');
  if (token.byteLength === 0) return { after: null, count: null };
  const decodedToken = decodePageToken(token, tokenRange(r), storageLimits.keyBytesMax);
  if (decodedToken.ok) return decodedToken;
  const why = decodedToken.problem === 'another range'
    ? 'page_token belongs to another range (start, end and prefix must be those of the request that returned it)'
    : `page_token is ${decodedToken.problem === 'tampered' ? 'altered' : 'malformed'} (pass next_page_token back unchanged)`;
  throw new KvError('INVALID_ARGUMENT', `Cannot accept request: ${why}`, { field: 'pageToken' });
}

function rowSource(driver: GroupDriver, query: RangeQuery): RowSource {
  const keysOnly = query.keysOnly === true;
  return {
    read: (after, rowsMax, bytesMax) => driver.storage.kv.rows(query, after, { rowsMax, bytesMax, keysOnly }),
    countStep: (from, rowsMax) => driver.storage.kv.countStep(query, from, rowsMax),
  };
}

function requestedBounds(r: Obj): RingBounds | null {
  const start = decoded(() => req.uint(r, 'ringStart'));
  const end = decoded(() => req.uint(r, 'ringEnd'));
  return start === 0 && end === 0 ? null : { start, end };
}

/**
 * Before every step (the first, and each after a yield): no snapshot install has begun, and the
 * group still owns exactly the ring range the caller (or this node's map) expects of it.
 */
function checkReadable(driver: GroupDriver, expected: RingBounds | null): void {
  if (driver.installing || driver.storage.kv.isInstalling()) throw new KvError('NO_LEADER', 'Cannot serve the read: a snapshot is being installed on this node', { group: driver.group });
  const owned = driver.storage.kv.descriptor();
  if (owned === null || expected === null || (owned.start === expected.start && owned.end === expected.end)) return;
  throw new KvError('WRONG_SHARD', `Cannot read the range from group ${driver.group}: it owns ring range [${owned.start}, ${owned.end}), not the [${expected.start}, ${expected.end}) asked for (a split is in progress or the shard map is stale); refresh the map and retry`, { group: driver.group });
}
