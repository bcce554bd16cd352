/**
 * Goal: the one place the simulator names the core, so a test can swap in a subclass of RaftNode
 * that breaks one rule (mutations.ts) without the rest of the harness knowing.
 */
import type { RaftConfig } from '../../src/raft/config.js';
import { RaftNode, type RaftStatus } from '../../src/raft/node.js';

export type { RaftStatus };
export { RaftNode };

export type NodeFactory = (config: RaftConfig) => RaftNode;

export const realNode: NodeFactory = (config) => new RaftNode(config);
