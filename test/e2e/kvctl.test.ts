// Goal: every kvctl command, run as a subprocess against a real local 3-node cluster, prints what
// it documents (aligned tables, JSON) and exits with the documented code: 0 ok, 1 error, 2 usage,
// 3 not found, 4 compare failed. Method: one cluster for the whole file; independent invocations
// run in parallel to keep the file fast; each test uses its own keys.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../integration/cluster.js';
import { isAligned, kvctl, tableRows, type KvctlResult } from './kvctl-process.js';

let cluster: Cluster | undefined;
let endpoints: string[] = [];
let scratch = '';

function run(args: readonly string[], input?: string): Promise<KvctlResult> {
  return kvctl(args, { endpoints, ...(input === undefined ? {} : { input }) });
}

function json(result: KvctlResult): unknown {
  return JSON.parse(result.stdout);
}

beforeAll(async () => {
  cluster = await Cluster.start({ size: 3 });
  endpoints = cluster.ids().map((id) => cluster?.address(id) ?? '');
  scratch = mkdtempSync(join(tmpdir(), 'kvctl-e2e-'));
  await cluster.waitForLeader();
});
afterEach((context) => {
  if (context.task.result?.state === 'fail') cluster?.markFailed();
});
afterAll(async () => {
  await cluster?.stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

describe('kvctl data commands', () => {
  it('put, get and del print aligned tables and exit 0; get of a missing key exits 3', async () => {
    expect((await run(['put', 'e2e/a', 'hello world'])).code).toBe(0);
    const [get, missing, missingJson] = await Promise.all([run(['get', 'e2e/a']), run(['get', 'e2e/none']), run(['get', 'e2e/none', '-o', 'json'])]);
    expect(get.code).toBe(0);
    expect(tableRows(get.stdout)).toEqual([['KEY', 'VALUE', 'VERSION', 'CREATE_REV', 'MOD_REV'], ['e2e/a', 'hello world', '1', expect.any(String), expect.any(String)]]);
    expect(isAligned(get.stdout, ['KEY', 'VALUE', 'VERSION', 'CREATE_REV', 'MOD_REV'])).toBe(true);
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([3, '', 'kvctl: key "e2e/none" not found\n']);
    expect([missingJson.code, json(missingJson)]).toEqual([3, { found: false, key: 'e2e/none' }]);
    const del = await run(['del', 'e2e/a', '-o', 'json']);
    expect([del.code, json(del)]).toMatchObject([0, { key: 'e2e/a', deleted: true }]);
    const again = await run(['del', 'e2e/a']);
    expect(tableRows(again.stdout)[1]?.slice(0, 2)).toEqual(['e2e/a', 'false']);
  });

  it('get -o json prints the key-value with its versions', async () => {
    await run(['put', 'e2e/j', 'v1']);
    await run(['put', 'e2e/j', 'v2']);
    const get = await run(['get', 'e2e/j', '--output', 'json', '--consistency', 'serializable']);
    expect(json(get)).toMatchObject({ found: true, key: 'e2e/j', value: 'v2', version: 2 });
  });

  it('put reads the value from --value-file and from stdin, byte for byte', async () => {
    const file = join(scratch, 'value.bin');
    writeFileSync(file, Buffer.from([0, 1, 2, 255]));
    const [fromFile, fromStdin] = await Promise.all([run(['put', 'e2e/file', '--value-file', file]), run(['put', 'e2e/stdin'], 'line one\nline two\n')]);
    expect([fromFile.code, fromStdin.code]).toEqual([0, 0]);
    const [hex, text] = await Promise.all([run(['get', '--hex', Buffer.from('e2e/file').toString('hex'), '-o', 'json']), run(['get', 'e2e/stdin', '-o', 'json'])]);
    expect(json(hex)).toMatchObject({ value: '000102ff' });
    expect(json(text)).toMatchObject({ value: 'line one\nline two\n' });
  });

  it('binary values print escaped by default and exactly with --hex or --base64', async () => {
    expect((await run(['put', '--hex', Buffer.from('e2e/bin').toString('hex'), '1b5b33316d00ff0a5c'])).code).toBe(0);
    const [table, hex, base64] = await Promise.all([
      run(['get', 'e2e/bin']), run(['get', '--hex', Buffer.from('e2e/bin').toString('hex')]), run(['get', '--base64', Buffer.from('e2e/bin').toString('base64'), '-o', 'json']),
    ]);
    expect(tableRows(table.stdout)[1]?.[1]).toBe('\\x1b[31m\\x00\\xff\\n\\\\');
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(table.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(tableRows(hex.stdout)[1]?.slice(0, 2)).toEqual([Buffer.from('e2e/bin').toString('hex'), '1b5b33316d00ff0a5c']);
    expect(json(base64)).toMatchObject({ value: Buffer.from('1b5b33316d00ff0a5c', 'hex').toString('base64') });
  });

  it('scan lists by prefix, by [start, end), with --limit and --keys-only, in table and json', async () => {
    const input = ['', ...Array.from({ length: 12 }, (_, i) => `put "e2e/scan/${String(i).padStart(2, '0')}" "v${i}"`)].join('\n');
    expect((await run(['txn'], input)).code).toBe(0);
    const [all, range, limited, keysOnly] = await Promise.all([
      run(['scan', '--prefix', 'e2e/scan/']),
      run(['scan', '--start', 'e2e/scan/03', '--end', 'e2e/scan/06', '-o', 'json']),
      run(['scan', '--prefix', 'e2e/scan/', '--limit', '5', '--page-size', '2', '-o', 'json']),
      run(['scan', '--prefix', 'e2e/scan/', '--keys-only']),
    ]);
    expect(all.code).toBe(0);
    expect(tableRows(all.stdout).map((r) => r[0])).toEqual(['KEY', ...Array.from({ length: 12 }, (_, i) => `e2e/scan/${String(i).padStart(2, '0')}`)]);
    expect(isAligned(all.stdout, ['KEY', 'VALUE', 'VERSION'])).toBe(true);
    expect((json(range) as { key: string }[]).map((kv) => kv.key)).toEqual(['e2e/scan/03', 'e2e/scan/04', 'e2e/scan/05']);
    expect(json(limited)).toHaveLength(5);
    expect(tableRows(keysOnly.stdout)[0]).toEqual(['KEY', 'VERSION', 'CREATE_REV', 'MOD_REV']);
  });

  it('txn runs the success branch (exit 0) or the failure branch (exit 4) and documents its syntax', async () => {
    const file = join(scratch, 'claim.txn');
    writeFileSync(file, ['# claim the lock if nobody holds it', 'version("e2e/lock") = 0', '', 'put "e2e/lock" "alice"', 'get e2e/lock', '', 'get "e2e/lock"', ''].join('\n'));
    const first = await run(['txn', file]);
    expect(first.code).toBe(0);
    expect(tableRows(first.stdout)).toEqual([['SUCCESS'], ['OP', 'KEY', 'RESULT', 'VALUE'], ['put', 'e2e/lock', 'ok'], ['get', 'e2e/lock', 'version 1', 'alice']]);
    const [second, asJson, help] = await Promise.all([run(['txn', file]), run(['txn', '-o', 'json'], readFileSync(file, 'utf8')), run(['txn', '--help'])]);
    expect(second.code).toBe(4);
    expect(tableRows(second.stdout)[0]).toEqual(['FAILURE']);
    expect([asJson.code, json(asJson)]).toMatchObject([4, { succeeded: false, results: [{ op: 'get', key: 'e2e/lock', found: true, value: 'alice' }] }]);
    expect(help.stdout).toMatch(/value\("KEY"\) = "VALUE"/);
  });

  it('txn with a syntax error exits 2 naming the line', async () => {
    const bad = await run(['txn'], 'version("k") = 0\n\nset k 1\n');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 3: unknown operation "set"/);
  });

  it('cas swaps on a match (exit 0) and reports a mismatch (exit 4); --absent needs the key missing', async () => {
    const created = await run(['cas', '--absent', 'e2e/cas', 'one']);
    expect(created.code).toBe(0);
    const [swapped, absentAgain] = await Promise.all([run(['cas', 'e2e/cas', 'one', 'two']), run(['cas', '--absent', 'e2e/cas', 'x'])]);
    expect(swapped.code).toBe(0);
    expect(absentAgain.code).toBe(4);
    const mismatch = await run(['cas', 'e2e/cas', 'one', 'three', '-o', 'json']);
    expect([mismatch.code, json(mismatch)]).toEqual([4, { succeeded: false, key: 'e2e/cas', currentVersion: 2 }]);
    expect(mismatch.stderr).toMatch(/compare failed on key "e2e\/cas": the key is at version 2/);
  });

  it('watch says it is not supported yet and exits 1', async () => {
    const watch = await run(['watch', 'e2e/a']);
    expect([watch.code, watch.stderr]).toEqual([1, expect.stringMatching(/watch is not supported yet/)]);
  });

  it('usage mistakes exit 2 with a pointer to help', async () => {
    const results = await Promise.all([run(['get']), run(['frobnicate']), run(['get', 'k', '--timeout', '5']), run(['scan', '--bogus']), run(['get', 'k', '-o', 'yaml'])]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(results[0]?.stderr).toBe("kvctl: get: missing KEY\nRun 'kvctl get --help' for usage.\n");
    expect(results[2]?.stderr).toMatch(/--timeout must be a duration with a unit/);
  });

  it('help lists the commands and exit codes', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/member list\|add\|remove\|promote/);
    expect(help.stdout).toMatch(/4 {2}compare failed/);
  });

  it('an unreachable cluster exits 1 saying what was tried and what to do', async () => {
    const down = await kvctl(['get', 'k', '--endpoints', '127.0.0.1:1,127.0.0.1:2']);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe('kvctl: no endpoint reachable: tried 127.0.0.1:1, 127.0.0.1:2 (connection refused); is the cluster running? (npm start), or pass --endpoints\n');
  });
});

describe('kvctl cluster commands', () => {
  it('endpoint status lists every node with role, leader, term, indexes, size and latency', async () => {
    const [table, asJson] = await Promise.all([run(['endpoint', 'status']), run(['endpoint', 'status', '-o', 'json'])]);
    expect(table.code).toBe(0);
    const rows = tableRows(table.stdout);
    expect(rows[0]).toEqual(['ENDPOINT', 'REACHABLE', 'ID', 'VERSION', 'ROLE', 'LEADER', 'TERM', 'COMMIT', 'APPLIED', 'DB_SIZE', 'LATENCY']);
    expect(rows.slice(1).map((r) => r[0])).toEqual(endpoints);
    expect(rows.slice(1).filter((r) => r[4] === 'leader')).toHaveLength(1);
    expect(isAligned(table.stdout, rows[0] ?? [])).toBe(true);
    const statuses = json(asJson) as { reachable: boolean; role: string; commitIndex: number; dbSizeBytes: number; latencyMs: number }[];
    expect(statuses.every((s) => s.reachable && s.commitIndex > 0 && s.dbSizeBytes > 0 && s.latencyMs > 0)).toBe(true);
  });

  it('endpoint status and health mark an unreachable endpoint and exit 1', async () => {
    const list = ['127.0.0.1:1', endpoints[0] ?? ''];
    const [status, health] = await Promise.all([kvctl(['endpoint', 'status', '--endpoints', list.join(',')]), kvctl(['endpoint', 'health', '-o', 'json', '--endpoints', list.join(',')])]);
    expect(status.code).toBe(1);
    expect(tableRows(status.stdout)[1]).toEqual(['127.0.0.1:1', 'false', 'connection refused']);
    expect(health.code).toBe(1);
    expect(json(health)).toEqual([
      { endpoint: '127.0.0.1:1', healthy: false, latencyMs: expect.any(Number), error: 'connection refused' },
      { endpoint: list[1], healthy: true, latencyMs: expect.any(Number) },
    ]);
  });

  it('shard list on an unsharded cluster shows group 0 over the whole ring with its leader', async () => {
    const list = await run(['shard', 'list']);
    expect(list.code).toBe(0);
    const [note, ...lines] = list.stdout.trimEnd().split('\n');
    expect(note).toBe('Unsharded cluster (epoch 0): every key is in group 0');
    const rows = tableRows(lines.join('\n'));
    expect(rows[0]).toEqual(['GROUP', 'RANGE', 'SHARE', 'REPLICAS', 'MEMBERS', 'LEADER', 'TERM']);
    expect(rows.slice(1).map((r) => r.slice(0, 5))).toEqual([['0', '000000000000-ffffffffffff', '100.00%', '1,2,3', '=']]);
    expect(['1', '2', '3']).toContain(rows[1]?.[5]);
  });

  it('endpoint health says every node is healthy', async () => {
    const health = await run(['endpoint', 'health']);
    expect(health.code).toBe(0);
    expect(tableRows(health.stdout).slice(1).map((r) => r[1])).toEqual(['true', 'true', 'true']);
  });

  it('member list shows the voters and the leader; add, promote and remove change them', async () => {
    const list = await run(['member', 'list', '-o', 'json']);
    const before = json(list) as { leaderId: number; members: { nodeId: number; isLearner: boolean; isLeader: boolean }[] };
    expect(before.members.map((m) => m.nodeId)).toEqual([1, 2, 3]);
    expect(before.members.filter((m) => m.isLeader).map((m) => m.nodeId)).toEqual([before.leaderId]);
    // A member record with its own peer port: lists show only the client address.
    const added = await run(['member', 'add', '9', '127.0.0.1:9@127.0.0.1:10']);
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^Added node 9 at 127\.0\.0\.1:9@127\.0\.0\.1:10 as a learner/);
    expect(tableRows(added.stdout).find((r) => r[0] === '9')).toEqual(['9', '127.0.0.1:9', 'learner', 'no']);
    const promoted = await run(['member', 'promote', '9']);
    expect(tableRows(promoted.stdout).find((r) => r[0] === '9')).toEqual(['9', '127.0.0.1:9', 'voter', 'no']);
    const removed = await run(['member', 'remove', '9', '-o', 'json']);
    expect((json(removed) as { members: { nodeId: number }[] }).members.map((m) => m.nodeId)).toEqual([1, 2, 3]);
    const again = await run(['member', 'remove', '9']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^kvctl: the server refused the request: .*not a member/);
  });

  it('leader transfer moves leadership and endpoint status agrees', async () => {
    const leader = await (cluster as Cluster).waitForLeader();
    const target = leader === 3 ? 2 : 3;
    const moved = await run(['leader', 'transfer', String(target), '-o', 'json']);
    expect([moved.code, json(moved)]).toMatchObject([0, { leaderId: target }]);
    expect(await (cluster as Cluster).waitForLeader()).toBe(target);
    const bad = await run(['leader', 'transfer', '77']);
    expect(bad.code).toBe(1);
  });

  it('snapshot save streams a snapshot into the file', async () => {
    const file = join(scratch, 'backup.snap');
    const saved = await run(['snapshot', 'save', file, '-o', 'json']);
    expect(saved.code).toBe(0);
    const info = json(saved) as { file: string; bytes: number; sharded: boolean; groups: { group: number; index: number }[] };
    expect(info.sharded).toBe(false);
    expect(info.groups.map((g) => g.group)).toEqual([0]);
    expect(info.groups[0]?.index).toBeGreaterThan(0);
    expect(statSync(file).size).toBe(info.bytes);
    expect(() => statSync(`${file}.part`)).toThrow();
  });

  it('check perf runs a short load and prints PASS with writes/s and latencies', async () => {
    // Generous bars: this checks the command, not the machine (other suites may load the CPU).
    const perf = await run(['check', 'perf', '--duration', '1s', '--clients', '4', '--min-writes', '1', '--max-p99', '10s']);
    expect(perf.code, perf.stdout + perf.stderr).toBe(0);
    expect(perf.stdout).toMatch(/^Putting 256-byte values from 4 writers for 1s/);
    expect(tableRows(perf.stdout).slice(1, 2)[0]).toEqual(['METRIC', 'VALUE', 'THRESHOLD', 'RESULT']);
    expect(perf.stdout.trimEnd().endsWith('PASS')).toBe(true);
    const failing = await run(['check', 'perf', '--duration', '500ms', '--clients', '2', '--min-writes', '10000000', '-o', 'json']);
    expect([failing.code, json(failing)]).toMatchObject([1, { pass: false, errors: 0 }]);
    const leftovers = await run(['scan', '--prefix', 'kvctl-check-perf/', '-o', 'json']);
    expect(json(leftovers)).toEqual([]);
  });
});
