// Goal: the iptables faults do to real TCP what partition.ts promises, and heal() undoes exactly
// them. Method: three namespaces with an echo server each; fresh connections (probes) and
// long-lived ones (held before a fault) between nodes and from the host, checked before, during and
// after each fault. A dropped SYN shows as 'timeout' within the short connect timeout.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/shared/ids.js';
import { realNetworkCapability, skipNote } from './capability.js';
import { NetworkLab } from './netns.js';
import { nemesisChain, NetworkNemesis } from './partition.js';
import { holdConnection, probeFromHost, probeFromNode, startEchoServer, type HeldConnection } from './tcp-probe.js';

const capability = realNetworkCapability();
const [n1, n2, n3] = [nodeId(1), nodeId(2), nodeId(3)];
const echoPort = 7102;
/** Long enough for a healthy round trip on a loaded CI box, short enough to keep the suite fast. */
const okTimeoutMs = 2_000;
/** For probes expected to fail: a dropped SYN never answers, so any bound works; keep it short. */
const blockedTimeoutMs = 400;

describe.skipIf(!capability.ok)(`NetworkNemesis on real namespaces${skipNote(capability)}`, () => {
  let lab: NetworkLab | undefined;
  let nemesis: NetworkNemesis | undefined;
  const held: HeldConnection[] = [];
  const setup = (): { lab: NetworkLab; nemesis: NetworkNemesis } => {
    if (lab === undefined || nemesis === undefined) throw new Error('Lab setup failed');
    return { lab, nemesis };
  };
  const fromNode = (from: typeof n1, to: typeof n1, timeoutMs: number): Promise<string> =>
    probeFromNode(setup().lab, from, to, echoPort, timeoutMs);

  beforeAll(async () => {
    lab = await NetworkLab.create({ nodes: [n1, n2, n3] });
    nemesis = await NetworkNemesis.install(lab); // before any connection: conntrack must see them open
    await Promise.all([n1, n2, n3].map((node) => startEchoServer(setup().lab, node, echoPort)));
  });

  afterEach(async () => {
    for (const connection of held.splice(0)) connection.close();
    await nemesis?.heal();
  });

  afterAll(async () => {
    await lab?.teardown();
  });

  it('partition() cuts across groups both ways and leaves the rest, heal() restores', async () => {
    const { nemesis } = setup();
    await nemesis.partition([[n1], [n2, n3]]);
    const during = await Promise.all([
      fromNode(n1, n2, blockedTimeoutMs),
      fromNode(n2, n1, blockedTimeoutMs),
      fromNode(n2, n3, okTimeoutMs),
      probeFromHost(setup().lab.addressOf(n1), echoPort, okTimeoutMs),
    ]);
    expect(during).toEqual(['timeout', 'timeout', 'ok', 'ok']);
    await nemesis.heal();
    expect(await Promise.all([fromNode(n1, n2, okTimeoutMs), fromNode(n2, n1, okTimeoutMs)])).toEqual(['ok', 'ok']);
  });

  it('blockOneWay(1, 2) stops connections 1 opens to 2, new and established; 2→1 keeps working', async () => {
    const { lab, nemesis } = setup();
    const oneToTwo = holdConnection(lab, n1, n2, echoPort, okTimeoutMs);
    const twoToOne = holdConnection(lab, n2, n1, echoPort, okTimeoutMs);
    held.push(oneToTwo, twoToOne);
    expect(await Promise.all([oneToTwo.opened, twoToOne.opened])).toEqual(['connected', 'connected']);
    expect(await Promise.all([oneToTwo.roundTrip(okTimeoutMs), twoToOne.roundTrip(okTimeoutMs)])).toEqual(['ok', 'ok']);
    // install() switched conntrack on, so both connections were tracked from their SYN.
    const tracked = await lab.exec(n2, ['cat', '/proc/sys/net/netfilter/nf_conntrack_count']);
    expect(Number(tracked)).toBeGreaterThanOrEqual(2);
    await nemesis.blockOneWay(n1, n2);
    const during = await Promise.all([
      fromNode(n1, n2, blockedTimeoutMs),
      fromNode(n2, n1, okTimeoutMs),
      oneToTwo.roundTrip(blockedTimeoutMs),
      twoToOne.roundTrip(okTimeoutMs),
    ]);
    expect(during).toEqual(['timeout', 'ok', 'timeout', 'ok']);
    await nemesis.heal();
    expect(await fromNode(n1, n2, okTimeoutMs)).toBe('ok');
  });

  it('isolate(client) cuts the test client off a node without touching node-to-node links', async () => {
    const { lab, nemesis } = setup();
    await nemesis.isolate(['client'], [n1]);
    const during = await Promise.all([
      probeFromHost(lab.addressOf(n1), echoPort, blockedTimeoutMs),
      probeFromHost(lab.addressOf(n2), echoPort, okTimeoutMs),
      fromNode(n2, n1, okTimeoutMs),
    ]);
    expect(during).toEqual(['timeout', 'ok', 'ok']);
    await nemesis.heal();
    expect(await probeFromHost(lab.addressOf(n1), echoPort, okTimeoutMs)).toBe('ok');
  });

  it('logs every fault with a rising timestamp and lists what is blocked', async () => {
    const { nemesis } = setup();
    const before = nemesis.log.length;
    await nemesis.blockOneWay('client', n3);
    expect(nemesis.blockedLinks).toEqual([{ from: 'client', to: n3, semantics: 'one-way' }]);
    await nemesis.heal();
    const [applied, healed] = nemesis.log.slice(before);
    expect(applied).toMatchObject({ kind: 'one-way', links: ['client->3'] });
    expect(healed).toMatchObject({ kind: 'heal', links: [] });
    expect((healed?.timeNs ?? 0n) > (applied?.timeNs ?? 0n)).toBe(true);
    expect(nemesis.blockedLinks).toEqual([]);
  });

  it('heal() flushes only our chain: a rule someone else added stays', async () => {
    const { lab, nemesis } = setup();
    const foreign = ['-p', 'tcp', '--dport', '9', '-j', 'ACCEPT'];
    await lab.exec(n1, ['iptables', '-w', '5', '-A', 'INPUT', ...foreign]);
    await nemesis.partition([[n1], [n2]]);
    await nemesis.heal();
    const rules = await lab.exec(n1, ['iptables', '-w', '5', '-S']);
    expect(rules).toContain('-A INPUT -p tcp -m tcp --dport 9 -j ACCEPT');
    expect(rules).toContain(`-A INPUT -j ${nemesisChain}`);
    expect(rules).not.toMatch(new RegExp(`-A ${nemesisChain} `));
  });
});
