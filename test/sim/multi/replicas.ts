/**
 * Goal: how replicas come to exist on a node, as the server's design has it. Method:
 *  - founding groups start as founders (snapshot at index 1, term 1) on their initial placement;
 *  - a node that hears a leader of a group it has no replica of (and no tombstone of a higher term,
 *    multi-cluster.ts) creates an EMPTY one (joinerState: no members, so it cannot campaign); the
 *    leader catches it up by snapshot;
 *  - a split applied by the parent's replica on a node founds the child replica on that node in the
 *    same step: snapshot at index 1, term 1, the parent's conf at the split, the moved keys. An
 *    initialized child replica (caught up by the child's leader first) is kept as it is; an empty
 *    one is founded but keeps its durable term and vote (it may have voted already). A tombstone
 *    of the child stops the founding (the moved keys only leave the parent), as in
 *    src/storage/split-apply.ts;
 *  - a replica started on a node with a tombstone of its group (created again after GC, or
 *    restarted since) gets RaftNode's voteFloor = the tombstone's applied index, as
 *    src/server/groups.ts opens it.
 * Every replica reports to its group's checker suite, the ownership model and the clients.
 */
import { logIndex, type NodeId } from '../../../src/shared/ids.js';
import type { SeededRng } from '../../../src/shared/rng.js';
import { founderState, joinerState, type InitialState } from '../../../src/raft/bootstrap.js';
import type { CoreLogger, LogFields } from '../../../src/raft/logger.js';
import type { NodeFactory } from '../core.js';
import { SimDisk } from '../disk.js';
import { SimNode, type NodeEnv, type NodeListener } from '../sim-node.js';
import { GroupMachine, type Descriptor, type SplitFounding } from './group-machine.js';
import type { MultiCluster } from './multi-cluster.js';
import { withGroup } from './group-checkers.js';
import type { MultiNode, Replica } from './multi-node.js';
import type { MultiFaults } from './multi-options.js';

const EMPTY_RANGE: Descriptor = { start: 0, end: 0 };

export class ReplicaFactory {
  readonly stats = { replicasCreatedEmpty: 0, childrenFounded: 0, childrenKept: 0, childrenFoundedOverEmpty: 0, snapshotsInstalled: 0 };
  /** Children founded during the current apply step, compared with the model once it has learnt the split. */
  private readonly foundedPending: { node: NodeId; group: number; replica: Replica }[] = [];

  constructor(
    private readonly cluster: MultiCluster,
    private readonly rng: SeededRng,
    private readonly createNode: NodeFactory,
    private readonly faults: MultiFaults,
  ) {}

  foundInitial(node: MultiNode, group: number, voters: readonly NodeId[], range: Descriptor): void {
    const initial = founderState(voters);
    const machine = this.machine(node, group, initial, range);
    this.install(node, group, initial, machine, 'founder');
  }

  createEmpty(node: MultiNode, group: number, why: string): Replica {
    this.stats.replicasCreatedEmpty++;
    const initial = joinerState();
    return this.install(node, group, initial, this.machine(node, group, initial, EMPTY_RANGE), `empty (${why})`);
  }

  private machine(node: MultiNode, group: number, initial: InitialState, range: Descriptor): GroupMachine {
    return new GroupMachine(group, initial.snapshot, range, (founding) => this.foundChild(node, founding), { parentKeepsRange: this.faults.parentKeepsRange });
  }

  private install(node: MultiNode, group: number, initial: InitialState, machine: GroupMachine, how: string): Replica {
    const holder: { replica?: Replica } = {};
    const disk = new SimDisk(initial, machine);
    if (initial.snapshot.index > 0) disk.store.installSnapshot(initial.snapshot, machine.serialize());
    const replica = new SimNode<GroupMachine>(node.id, initial, this.rng.fork(), this.env(node.id, group, holder), disk);
    holder.replica = replica;
    node.replicas.set(group, replica);
    this.cluster.checkersOf(group);
    this.cluster.log(`n${node.id} hosts g${group}: ${how}`);
    if (node.isUp) replica.start();
    return replica;
  }

  /** The split hook: runs inside the parent replica's apply on `node`. */
  private foundChild(node: MultiNode, founding: SplitFounding): void {
    const existing = node.replicas.get(founding.child);
    if (!this.faults.splitFoundsOverTombstone && node.tombstones.has(founding.child)) {
      this.cluster.log(`n${node.id} g${founding.parent} splits at ${founding.index}: g${founding.child} was destroyed here, not founded again`);
      return;
    }
    if (existing !== undefined && existing.disk.machine.applied > 0) {
      this.stats.childrenKept++;
      this.cluster.log(`n${node.id} g${founding.parent} splits at ${founding.index}: g${founding.child} replica already initialized, kept`);
      return;
    }
    const base = founderState(founding.conf.voters, founding.conf.learners);
    const hard = existing?.disk.store.hardState();
    const initial: InitialState = hard === undefined || hard.term < 1 ? base
      : { snapshot: base.snapshot, hardState: { term: hard.term, vote: hard.vote, commit: logIndex(1) } };
    if (existing !== undefined) {
      this.stats.childrenFoundedOverEmpty++;
      existing.crash();
      node.replicas.delete(founding.child);
    }
    this.stats.childrenFounded++;
    const machine = this.machine(node, founding.child, initial, founding.descriptor);
    machine.found(founding);
    const replica = this.install(node, founding.child, initial, machine, `founded by g${founding.parent}'s split at ${founding.index}${existing === undefined ? '' : ' over an empty replica'}`);
    withGroup(founding.child, () => this.cluster.checkersOf(founding.child).snapshotInstalled(node.id, machine));
    this.foundedPending.push({ node: node.id, group: founding.child, replica });
  }

  private env(node: NodeId, group: number, holder: { replica?: Replica }): NodeEnv<GroupMachine> {
    const cluster = this.cluster;
    const sim = cluster.options.sim;
    return {
      tuning: sim.tuning,
      diskDelayMaxMs: sim.diskDelayMaxMs,
      compactEveryEntries: sim.compactEveryEntries,
      createNode: this.createNode,
      voteFloor: () => (this.faults.voteFloor ? cluster.node(node)?.voteFloor(group) ?? 0 : 0),
      listener: this.listener(group),
      logger: () => groupLogger(cluster, node, group),
      nowMs: () => cluster.nowMs,
      send: (message) => cluster.send(group, message),
      scheduleWrite: (id, epoch, delayMs) => {
        if (holder.replica !== undefined) cluster.scheduleWrite(id, holder.replica, epoch, delayMs);
      },
    };
  }

  private listener(group: number): NodeListener<GroupMachine> {
    const cluster = this.cluster;
    const checkers = (): ReturnType<MultiCluster['checkersOf']> => cluster.checkersOf(group);
    return {
      readyTaken: (node, ready, store) => withGroup(group, () => checkers().readyTaken(node, ready, store)),
      persisted: (node, write, store) => withGroup(group, () => checkers().persisted(node, write, store)),
      snapshotInstalled: (node, machine) => {
        this.stats.snapshotsInstalled++;
        cluster.log(`n${node} g${group} installed snapshot at ${machine.applied}`);
        withGroup(group, () => checkers().snapshotInstalled(node, machine));
        cluster.ownership.compare(node, group, machine);
        cluster.clients.skippedTo(node, group, machine.applied);
      },
      applied: (node, entry, machine) => {
        withGroup(group, () => checkers().applied(node, entry, machine));
        cluster.ownership.applied(node, group, entry, machine);
        for (const founded of this.foundedPending.splice(0)) cluster.ownership.compare(founded.node, founded.group, founded.replica.disk.machine);
        cluster.clients.applied(node, group, entry, machine);
      },
      readServed: (node, requestId) => cluster.clients.readServed(node, group, requestId),
      readsDropped: (_node, requestIds) => cluster.clients.readsDropped(requestIds),
      crashed: (node) => {
        checkers().crashed(node);
        cluster.clients.crashed(node, group);
      },
    };
  }
}

function groupLogger(cluster: MultiCluster, node: NodeId, group: number): CoreLogger {
  const line = (level: string) => (fields: LogFields, message: string): void => {
    const parts = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : String(v)}`);
    cluster.log(`n${node}/g${group} ${level} ${message}${parts.length > 0 ? ` ${parts.join(' ')}` : ''}`);
  };
  return { debug: cluster.trace.isVerbose ? line('DEBUG') : () => undefined, info: line('INFO'), warn: line('WARN') };
}

