// Goal: RangeIterable pages with page tokens, respects limit and pageSize, and stops on the last page.
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/client/kv-stub.js';
import { decodeRangeResponse, RangeIterable, type FetchedPage } from '../../../src/client/range.js';

const b = (s: string): Buffer => Buffer.from(s);
const keys = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);

/** A fake server: keys in order after the page token, `limit` per page. */
function fakeFetch(requests: Message[]) {
  return (request: Message): Promise<FetchedPage> => {
    requests.push(request);
    const after = Buffer.from(request['pageToken'] as Uint8Array).toString();
    const limit = Number(request['limit']);
    const rest = keys.filter((k) => k > after);
    const page = rest.slice(0, limit);
    const more = rest.length > page.length;
    return Promise.resolve(decodeRangeResponse({
      kvs: page.map((k) => ({ key: b(k), value: b(`v${k}`), version: '1', createRevision: '1', modRevision: '1' })),
      more, count: String(keys.length), nextPageToken: more ? b(page[page.length - 1] ?? '') : Buffer.alloc(0),
    }));
  };
}

describe('RangeIterable', () => {
  it('iterates every key across pages of pageSize, passing each next page token', async () => {
    const requests: Message[] = [];
    const seen: string[] = [];
    for await (const kv of new RangeIterable(fakeFetch(requests), { prefix: true }, 0, 10)) seen.push(kv.keyText());
    expect(seen).toEqual(keys);
    expect(requests.map((r) => [r['limit'], Buffer.from(r['pageToken'] as Uint8Array).toString()])).toEqual([['10', ''], ['10', 'k09'], ['10', 'k19']]);
  });

  it('stops at limit, asking only for what is left in the last page', async () => {
    const requests: Message[] = [];
    const all = await new RangeIterable(fakeFetch(requests), {}, 13, 5).toArray();
    expect(all.map((kv) => kv.keyText())).toEqual(keys.slice(0, 13));
    expect(requests.map((r) => r['limit'])).toEqual(['5', '5', '3']);
  });

  it('pages() reports the count of the whole range on each page', async () => {
    const counts: number[] = [];
    for await (const page of new RangeIterable(fakeFetch([]), {}, 0, 20).pages()) counts.push(page.count);
    expect(counts).toEqual([25, 25]);
  });

  it('keeps the base request fields on every page', async () => {
    const requests: Message[] = [];
    await new RangeIterable(fakeFetch(requests), { keysOnly: true, consistency: 'READ_CONSISTENCY_SERIALIZABLE' }, 0, 10).toArray();
    expect(requests.every((r) => r['keysOnly'] === true && r['consistency'] === 'READ_CONSISTENCY_SERIALIZABLE')).toBe(true);
  });

  it('stops when a page says more but carries no token', async () => {
    const fetch = (): Promise<FetchedPage> => Promise.resolve(decodeRangeResponse({ kvs: [{ key: b('a') }], more: true, count: '9', nextPageToken: Buffer.alloc(0) }));
    expect(await new RangeIterable(fetch, {}, 0, 10).toArray()).toHaveLength(1);
  });
});
