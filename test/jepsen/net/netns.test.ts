// Goal: a NetworkLab is a working, isolated network and leaves nothing behind. Method: pure checks
// of names and parsing; then, as root, real namespaces with a TCP echo server in two of them,
// connections from the host and between namespaces, and a look at `ip` after teardown. A second,
// fake "crashed run" (resources named after a dead pid) checks cleanupStale().
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { realNetworkCapability, skipNote } from './capability.js';
import { runCommand } from './exec.js';
import { parseLinkNames, parseNetnsList } from './netns-cleanup.js';
import {
  creatorPid, makeRunId, pickSubnetOctet, runNames, usedSubnetOctets,
} from './netns-names.js';
import { cleanupStale, NetworkLab } from './netns.js';
import { probeFromHost, probeFromNode, startEchoServer } from './tcp-probe.js';

const capability = realNetworkCapability();
const n1 = nodeId(1);
const n2 = nodeId(2);
const echoPort = 7101;
const probeTimeoutMs = 2_000;

describe('netns names', () => {
  it('makeRunId() embeds the pid so creatorPid() can read it back from every name', () => {
    const names = runNames(makeRunId(4_194_303, 12));
    for (const name of [names.bridge, names.hostVeth(n1), names.nodeVeth(n2), names.namespace(n2)]) {
      expect(creatorPid(name)).toBe(4_194_303);
    }
    expect(names.hostVeth(nodeId(99)).length).toBeLessThanOrEqual(15);
  });

  it('creatorPid() ignores names that are not ours', () => {
    expect(creatorPid('eth0')).toBeUndefined();
    expect(creatorPid('rkvnotours')).toBeUndefined();
  });

  it('pickSubnetOctet() skips /24s already on the host', () => {
    const used = usedSubnetOctets('4: br0    inet 10.77.5.1/24 brd 10.77.5.255 scope global br0\n');
    expect(used).toEqual(new Set([5]));
    const octet = pickSubnetOctet('000010', new Set());
    expect(pickSubnetOctet('000010', new Set([octet]))).not.toBe(octet);
  });

  it('parses `ip netns list` and `ip -o link show` output', () => {
    expect(parseNetnsList('rkv-00abc0-n1 (id: 3)\nother\n')).toEqual(['rkv-00abc0-n1', 'other']);
    const links = '1: lo: <LOOPBACK,UP> mtu 65536\n7: rkv00abc0h1@if6: <BROADCAST> mtu 1500\n';
    expect(parseLinkNames(links)).toEqual(['lo', 'rkv00abc0h1']);
  });
});

describe.skipIf(!capability.ok)(`NetworkLab on real namespaces${skipNote(capability)}`, () => {
  let lab: NetworkLab | undefined;
  const theLab = (): NetworkLab => {
    if (lab === undefined) throw new Error('Lab setup failed');
    return lab;
  };

  beforeAll(async () => {
    lab = await NetworkLab.create({ nodes: [n1, n2] });
    await Promise.all([startEchoServer(lab, n1, echoPort), startEchoServer(lab, n2, echoPort)]);
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  it('reaches each node from the host, and each node from the other', async () => {
    const l = theLab();
    const results = await Promise.all([
      probeFromHost(l.addressOf(n1), echoPort, probeTimeoutMs),
      probeFromHost(l.addressOf(n2), echoPort, probeTimeoutMs),
      probeFromNode(l, n1, n2, echoPort, probeTimeoutMs),
      probeFromNode(l, n2, n1, echoPort, probeTimeoutMs),
    ]);
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

  it('gives each namespace only loopback and its own veth', async () => {
    const links = parseLinkNames(await theLab().exec(n1, ['ip', '-o', 'link', 'show']));
    expect(links.sort()).toEqual(['lo', theLab().names.nodeVeth(n1)].sort());
  });

  it('run() returns the ChildProcess of the program itself (ip netns exec execs in place)', async () => {
    const child = theLab().run(n1, ['sleep', '30']);
    // 'spawn' fires when `ip` starts; it execs into sleep a moment later, under the same pid.
    let comm = '';
    for (let tries = 0; tries < 100 && comm !== 'sleep'; tries++) {
      comm = (await readFile(`/proc/${String(child.pid)}/comm`, 'utf8')).trim();
      if (comm !== 'sleep') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(comm).toBe('sleep');
    child.kill('SIGKILL');
  });

  it('teardown() removes its namespaces, veths and bridge', async () => {
    const extra = await NetworkLab.create({ nodes: [n1] });
    const names = [extra.names.namespace(n1), extra.names.bridge, extra.names.hostVeth(n1)];
    await extra.teardown();
    const left = [
      ...parseNetnsList(await runCommand(['ip', 'netns', 'list'])),
      ...parseLinkNames(await runCommand(['ip', '-o', 'link', 'show'])),
    ];
    expect(left.filter((name) => names.includes(name))).toEqual([]);
  });

  it('cleanupStale() removes leftovers of a dead run and spares live ones', async () => {
    const dead = spawnSync('true').pid; // exited and reaped: a pid no run owns any more
    const stale = runNames(makeRunId(dead, 0));
    await runCommand(['ip', 'netns', 'add', stale.namespace(n1)]);
    await runCommand(['ip', 'link', 'add', stale.bridge, 'type', 'bridge']);
    const report = await cleanupStale();
    expect(report.namespaces).toContain(stale.namespace(n1));
    expect(report.links).toContain(stale.bridge);
    expect(report.namespaces).not.toContain(theLab().names.namespace(n1));
    expect(await probeFromHost(theLab().addressOf(n1), echoPort, probeTimeoutMs)).toBe('ok');
  });
});
