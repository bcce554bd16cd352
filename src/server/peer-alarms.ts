/**
 * The other nodes' alarms as this node last learned them: every `PEER_ALARM_POLL_MS` it asks each
 * peer for its own alarms (ListAlarms with local_only). A group's leader refuses writes that add
 * data while any replica of the group is out of space (write-admission.ts), so it must know its
 * followers' NOSPACE alarms; etcd gets the same by replicating alarms through Raft.
 *
 * What a peer answered is kept until it answers again: a peer that is down or cut off keeps its
 * last known alarms (it will append the entries when it comes back, on the same full disk), and a
 * node that is no longer a member of a group no longer counts for that group's writes. A raised
 * or disarmed alarm is seen here within one poll (plus the call's deadline).
 */
import type { Message } from '../client/kv-stub.js';
import type { PeerStub, PeerStubFactory } from './peer-calls.js';
import { groupId, type NodeId } from '../shared/ids.js';
import type { Logger } from '../shared/logger.js';
import { ALARM_KINDS, type Alarm, type AlarmKind } from './alarms.js';

export const PEER_ALARM_POLL_MS = 1_000;
const CALL_DEADLINE_MS = 2_000;
/** Alarms kept per peer (one per kind and group; a peer hosts at most 4096 groups). */
const ALARMS_PER_PEER_MAX = 2 * 4097;

export class PeerAlarms {
  private readonly stubs = new Map<string, PeerStub>();
  private readonly known = new Map<NodeId, readonly Alarm[]>();

  constructor(
    private readonly self: NodeId,
    /** Peer addresses: ListAlarms is asked on the peer port (peer-calls.ts). */
    private readonly peers: () => ReadonlyMap<NodeId, string>,
    private readonly log: Logger,
    private readonly connect: PeerStubFactory,
  ) {}

  /** The node-wide alarm of `kind` that `node` last reported; undefined if none (or never heard from). */
  alarmOf(node: NodeId, kind: AlarmKind): Alarm | undefined {
    return this.known.get(node)?.find((a) => a.kind === kind && a.group === undefined);
  }

  /** Every peer's alarms as last learned. */
  all(): ReadonlyMap<NodeId, readonly Alarm[]> {
    return this.known;
  }

  /** One poll of every peer (run by Periodic; rounds do not overlap). */
  async round(): Promise<void> {
    const peers = this.peers();
    for (const [address, stub] of this.stubs) {
      if (![...peers.values()].includes(address)) {
        stub.close();
        this.stubs.delete(address);
      }
    }
    for (const node of this.known.keys()) if (!peers.has(node)) this.known.delete(node);
    await Promise.all([...peers].filter(([node]) => node !== this.self).map(([node, address]) => this.ask(node, address)));
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }

  private async ask(node: NodeId, address: string): Promise<void> {
    let stub = this.stubs.get(address);
    if (stub === undefined) {
      stub = this.connect(address);
      this.stubs.set(address, stub);
    }
    try {
      const reply = await stub.call('ListAlarms', { localOnly: true }, CALL_DEADLINE_MS);
      if (Number(reply['nodeId']) !== node) return;
      const alarms = decodeAlarms(reply['alarms']);
      const before = signature(this.known.get(node) ?? []);
      this.known.set(node, alarms);
      if (signature(alarms) !== before) this.log.warn({ peer: node, alarms: signature(alarms) }, 'peer alarms changed');
    } catch (err) {
      // Unreachable, or a server without ListAlarms: keep what it said last.
      this.log.debug({ peer: node, err }, 'could not list peer alarms');
    }
  }
}

const signature = (alarms: readonly Alarm[]): string => alarms.map((a) => `${a.kind}/${a.group ?? '*'}`).sort().join(',');

/** A peer's answer is network input: anything malformed is dropped, never asserted on. */
export function decodeAlarms(value: unknown): Alarm[] {
  if (!Array.isArray(value)) return [];
  const out: Alarm[] = [];
  for (const item of value.slice(0, ALARMS_PER_PEER_MAX) as Message[]) {
    const kind = ALARM_KINDS.find((k) => k === item['kind']);
    const group = Number(item['groupId']);
    const raisedAtMs = Number(item['raisedAtMs']);
    if (kind === undefined || !Number.isSafeInteger(group) || group < 0 || !Number.isSafeInteger(raisedAtMs)) continue;
    const reason = typeof item['reason'] === 'string' ? item['reason'].slice(0, 1024) : '';
    out.push({ kind, ...(item['hasGroup'] === true ? { group: groupId(group) } : {}), reason, raisedAtMs });
  }
  return out;
}
