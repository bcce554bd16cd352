/** The benchmark targets and their protocol adapters, by name. */
import type { TargetProtocol } from './adapter.js';
import { etcdProtocol } from './etcd-protocol.js';
import { raftkvProtocol } from './raftkv-protocol.js';

export const targetNames = ['raftkv', 'etcd'] as const;
export type TargetName = (typeof targetNames)[number];

export function protocolFor(target: TargetName): TargetProtocol {
  return target === 'raftkv' ? raftkvProtocol : etcdProtocol;
}
