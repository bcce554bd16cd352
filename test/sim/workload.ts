/**
 * Goal: the client workload of the fault phase: writes, linearizable reads (at the leader and
 * through followers, which forward them), leadership transfers and membership changes.
 * Method: every workload step draws each kind with its per-seed probability. Several clients each
 * cache the leader they last found and keep using it until it fails them (an error, an unknown
 * outcome, a crash) or a random refresh, as real clients do, so a deposed leader that does not know
 * it yet still gets traffic. A share of operations goes to a random node instead. Keys come from a
 * small set so writes overwrite each other; values are unique per operation.
 */
import type { NodeId } from '../../src/shared/ids.js';
import type { Rng } from '../../src/shared/rng.js';
import type { ClientTracker } from './client.js';
import type { ClusterView } from './cluster-view.js';
import { encodePut } from './kv-state-machine.js';
import type { MembershipDriver } from './membership.js';
import { chance, pick } from './random.js';
import type { SimNode } from './sim-node.js';
import type { WorkloadRates } from './swarm.js';
import type { Trace } from './trace.js';

const KEY_COUNT = 8;
const CLIENT_COUNT = 3;
/** Chance that a client refreshes its cached leader before an operation. */
const LEADER_REFRESH_RATE = 0.05;

export class Workload {
  private opSeq = 0;
  transfersStarted = 0;
  private readonly leaderCache: (NodeId | undefined)[] = new Array<NodeId | undefined>(CLIENT_COUNT).fill(undefined);

  constructor(
    private readonly rng: Rng,
    private readonly rates: WorkloadRates,
    private readonly view: ClusterView,
    private readonly client: ClientTracker,
    readonly membership: MembershipDriver,
    private readonly trace: Trace,
    private readonly useLeases: boolean,
  ) {}

  step(): void {
    if (chance(this.rng, this.rates.propose)) this.clientPut();
    if (chance(this.rng, this.rates.read)) this.read();
    if (chance(this.rng, this.rates.transfer)) this.transfer();
    if (chance(this.rng, this.rates.membership)) this.membership.step();
  }

  /** Proposes one write through `node` (if the client bound allows); onFailure hears a bad outcome. */
  put(node: SimNode | undefined, onFailure?: () => void): boolean {
    if (node === undefined || !node.isServing || !this.client.canPropose) return false;
    const op = ++this.opSeq;
    const data = encodePut({ key: `k${this.rng.nextInt(KEY_COUNT)}`, value: `v${op}` });
    const result = this.client.submit(node, `put#${op}`, () => node.raft().propose(data), (outcome) => {
      if (outcome !== 'acked') onFailure?.();
    });
    return result.ok;
  }

  private clientPut(): void {
    const client = this.rng.nextInt(CLIENT_COUNT);
    const forget = (): void => {
      this.leaderCache[client] = undefined;
    };
    if (!this.put(this.target(client), forget)) forget();
  }

  private read(): void {
    const client = this.rng.nextInt(CLIENT_COUNT);
    const node = this.target(client);
    if (node === undefined || !this.client.canRead) return;
    const lease = this.useLeases && chance(this.rng, 0.5);
    const result = lease ? this.client.leaseRead(node) : this.client.read(node);
    if (!result.ok) this.leaderCache[client] = undefined;
  }

  private transfer(): void {
    const leader = this.view.leader();
    if (leader === undefined) return;
    const others = leader.raft().status().conf.voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const to = pick(this.rng, others);
    const result = leader.raft().transferLeadership(to);
    if (result.ok) this.transfersStarted++;
    this.trace.log(`client transfer leadership n${leader.id}->n${to}: ${result.ok ? 'started' : result.error.code}`);
  }

  /** The client's cached leader if it is up, else a fresh look-up; sometimes a random node. */
  private target(client: number): SimNode | undefined {
    if (chance(this.rng, this.rates.misdirect)) {
      const up = this.view.upNodes();
      return up.length === 0 ? undefined : pick(this.rng, up);
    }
    const cached = this.leaderCache[client];
    const node = cached === undefined || chance(this.rng, LEADER_REFRESH_RATE) ? undefined : this.view.node(cached);
    if (node?.isServing === true) return node;
    const leader = this.view.leader();
    this.leaderCache[client] = leader?.id;
    return leader;
  }
}
