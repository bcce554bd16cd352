/** What a benchmark target must say about itself to be started and driven. */
import type { TargetProtocol } from '../client/adapter.js';
import type { TargetName } from '../client/protocols.js';
import type { BenchNetwork } from './network.js';
import type { ServerSpec } from './server-set.js';

export interface ClusterContext {
  readonly network: BenchNetwork;
  readonly nodes: number;
  /** Fresh for this cluster; removed after it stops. */
  readonly dataDir: string;
  readonly logDir: string;
  /** When set, raftkv nodes write a V8 CPU profile here (one subdirectory per node). */
  readonly cpuProfileDir?: string;
}

export interface ClusterPlan {
  readonly specs: readonly ServerSpec[];
  /** Where clients dial each node. */
  readonly clientAddresses: ReadonlyMap<number, string>;
}

export interface TargetDefinition {
  readonly name: TargetName;
  readonly protocol: TargetProtocol;
  /** Settings that matter for the comparison, for the report ("electionTimeout": "1000 ms"). */
  readonly settings: Readonly<Record<string, string>>;
  /** Why this target cannot run here (and how to fix it), or undefined. */
  missing(): string | undefined;
  plan(context: ClusterContext): Promise<ClusterPlan>;
  /**
   * Waits, after the first leader, until the cluster has settled into the state the load should
   * meet (sharded raftkv: group leaderships balanced); returns a note if it gave up waiting.
   */
  settle?(clientAddresses: readonly string[]): Promise<string | undefined>;
}
