/**
 * How a group's first members start. Every founding member begins with the same snapshot at
 * index 1, term 1, whose only content is the founding membership (etcd-raft writes identical
 * conf entries for the same reason). A node that joins later starts empty (index 0, no members)
 * and so cannot campaign; since the leader's log starts after index 1, the joiner is caught up by
 * a snapshot that carries the current membership. Without this a joiner would replay only the
 * changes after bootstrap and believe in a membership that never existed.
 */
import { logIndex, term, type NodeId } from '../shared/ids.js';
import type { ConfState, HardState, SnapshotMeta } from './types.js';

export interface InitialState {
  readonly snapshot: SnapshotMeta;
  readonly hardState: HardState;
}

export const EMPTY_CONF: ConfState = { voters: [], learners: [] };

export function founderState(voters: readonly NodeId[], learners: readonly NodeId[] = [], addresses: Readonly<Record<string, string>> = {}): InitialState {
  const sortedIds = { voters: [...voters].sort((a, b) => a - b), learners: [...learners].sort((a, b) => a - b) };
  const conf = Object.keys(addresses).length === 0 ? sortedIds : { ...sortedIds, addresses };
  return {
    snapshot: { index: logIndex(1), term: term(1), conf },
    hardState: { term: term(1), vote: null, commit: logIndex(1) },
  };
}

export function joinerState(): InitialState {
  return {
    snapshot: { index: logIndex(0), term: term(0), conf: EMPTY_CONF },
    hardState: { term: term(0), vote: null, commit: logIndex(0) },
  };
}
