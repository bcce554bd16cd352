// Goal: a call to a group whose leader the client does not know (the typical put through a node
// that lacks the key's group: that node's shard map names no leader for it) does not pay for a
// new connection after each NOT_LEADER: the runner starts connecting to every replica of the group
// before its first guess, so the redirect finds its connection already being set up; and a call whose
// time ran out names the deadline its caller asked for. Method: a fake endpoint source that records,
// in order, connects and sends.
import { describe, expect, it } from 'vitest';
import { CallRunner, type CallSpec, type EndpointSource } from '../../../src/client/call-runner.js';
import { KvClientError } from '../../../src/client/errors.js';
import type { KvStub, Message } from '../../../src/client/kv-stub.js';
import { LeaderCache } from '../../../src/client/leader-cache.js';

const GROUP = 7;
const REPLICAS = ['n1:1', 'n2:1'];

function setup(leaders = new LeaderCache()) {
  const events: string[] = [];
  const pool: EndpointSource = {
    endpoints: ['n3:1'],
    stub: (address) => ({ address }) as unknown as KvStub,
    next: () => 'n3:1',
    connect: (address) => events.push(`connect ${address}`),
  };
  const runner = new CallRunner({ pool, leaders, retry: { attemptsMax: 4, backoffMsMin: 0, backoffMsMax: 0 }, random: () => 0 });
  const spec: CallSpec = {
    name: 'put of key "k"', kind: 'write', route: 'leader', group: GROUP, candidates: () => REPLICAS, answeredByLeader: true,
    request: {}, deadlineMs: 5_000,
    send: (stub) => {
      const address = (stub as unknown as { address: string }).address;
      events.push(`send ${address}`);
      if (address === 'n1:1') {
        return Promise.reject(new KvClientError('NOT_LEADER', 'Node 1 is not the leader: node 2 is', {
          fromServer: true, grpcCode: 14, details: { group: GROUP, term: 3, leaderId: 2, leaderAddr: 'n2:1' },
        }));
      }
      const header: Message = { header: { nodeId: '2', raftTerm: '3', revision: '1', groupId: String(GROUP) } };
      return Promise.resolve(header);
    },
  };
  return { runner, spec, events };
}

describe('CallRunner with no leader known for the group', () => {
  it('connects to every replica before its first guess, so the redirect after NOT_LEADER finds a connection', async () => {
    const { runner, spec, events } = setup();
    const { endpoint } = await runner.run(spec);
    expect(endpoint).toBe('n2:1');
    expect(events.slice(0, 3).sort()).toEqual(['connect n1:1', 'connect n2:1', 'send n1:1'].sort());
    expect(events.indexOf('connect n2:1')).toBeLessThan(events.indexOf('send n1:1'));
    expect(events.at(-1)).toBe('send n2:1');
  });

  it('does not connect to the other replicas when the leader is already known', async () => {
    const leaders = new LeaderCache();
    leaders.observe(GROUP, { term: 3, leaderId: 2, address: 'n2:1' });
    const { runner, spec, events } = setup(leaders);
    await runner.run(spec);
    expect(events).toEqual(['send n2:1']);
  });
});

describe('CallRunner deadline message', () => {
  it('names the deadline the caller asked for, not what was left of it when the call began', async () => {
    const { runner, spec } = setup();
    const error = await runner.run({ ...spec, deadlineMs: 0, statedDeadlineMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvClientError);
    expect((error as KvClientError).message).toBe('Cannot finish the put of key "k": the deadline of 5000 ms passed after 0 attempt(s)');
  });
});
