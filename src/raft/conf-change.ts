/**
 * Membership changes, one server at a time (thesis §4.1), applied when the entry is applied
 * (as etcd-raft does), with at most one change pending.
 *
 * Safety argument. Let C be the configuration in force and C' = C ± one server. (a) Any majority of
 * C and any majority of C' intersect, so while some nodes still use C and others already use C',
 * two leaders cannot be elected for one term and an entry committed under either cannot be lost.
 * (b) A leader proposes a change only once everything up to its own election is applied
 * (`pendingConfIndex`), and only one change is ever uncommitted, so configurations in use at once
 * differ by at most one server. (c) The leader's no-op of its own term must be committed before it
 * may propose a change: this is Ongaro's fix for the single-server bug (raft-dev, 2015), which
 * otherwise lets a new leader's change cross an uncommitted change of an old leader.
 * Learners never count toward any quorum, so adding or removing one cannot affect safety.
 */
import { assert } from '../shared/assert.js';
import { nodeId, type NodeId } from '../shared/ids.js';
import type { ConfChange, ConfChangeType, ConfState } from './types.js';

const TYPE_CODES: Record<ConfChangeType, number> = { addVoter: 1, addLearner: 2, removeNode: 3 };

/** Layout: type code (1 byte), node id (float64, a safe integer), then the address as UTF-8. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  const address = new TextEncoder().encode(change.address ?? '');
  const out = new Uint8Array(9 + address.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, TYPE_CODES[change.type]);
  view.setFloat64(1, change.node);
  out.set(address, 9);
  return out;
}

/**
 * Why `data` is not an encoded ConfChange, or null if it is. For input from a peer (the transport
 * checks every membership entry with it), which must be refused before decodeConfChange asserts.
 */
export function confChangeProblem(data: Uint8Array): string | null {
  if (data.byteLength < 9) return `is ${data.byteLength} bytes, shorter than a membership change`;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (!Object.values(TYPE_CODES).includes(view.getUint8(0))) return 'has an unknown membership change type';
  const node = view.getFloat64(1);
  if (!Number.isSafeInteger(node) || node < 1) return 'names no valid node id';
  return null;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  assert(data.byteLength >= 9, `ConfChange must be at least 9 bytes, got ${data.byteLength}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const code = view.getUint8(0);
  const type = (Object.keys(TYPE_CODES) as ConfChangeType[]).find((t) => TYPE_CODES[t] === code);
  assert(type !== undefined, `Unknown ConfChange type code ${code}`);
  const address = new TextDecoder().decode(data.subarray(9));
  return { type, node: nodeId(view.getFloat64(1)), ...(address === '' ? {} : { address }) };
}

function without(ids: readonly NodeId[], id: NodeId): NodeId[] {
  return ids.filter((x) => x !== id);
}

function sorted(ids: readonly NodeId[]): NodeId[] {
  return [...ids].sort((a, b) => a - b);
}

/** The configuration after `change`. Pure: the core and the state machine both call it. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const voters = without(conf.voters, change.node);
  const learners = without(conf.learners, change.node);
  const addresses = addressesAfter(conf, change);
  switch (change.type) {
    case 'addVoter':
      return withAddresses({ voters: sorted([...voters, change.node]), learners }, addresses);
    case 'addLearner':
      // Demoting a voter to learner is allowed; it is a removal from the voter set (one server).
      return withAddresses({ voters, learners: sorted([...learners, change.node]) }, addresses);
    case 'removeNode':
      return withAddresses({ voters, learners }, addresses);
  }
}

function addressesAfter(conf: ConfState, change: ConfChange): Record<string, string> {
  const addresses: Record<string, string> = { ...conf.addresses };
  if (change.type === 'removeNode') delete addresses[String(change.node)];
  else if (change.address !== undefined) addresses[String(change.node)] = change.address;
  return addresses;
}

function withAddresses(conf: ConfState, addresses: Record<string, string>): ConfState {
  return Object.keys(addresses).length === 0 ? conf : { ...conf, addresses };
}

/** Why a change cannot be made, or null when it can. */
export function checkConfChange(conf: ConfState, change: ConfChange): string | null {
  const isVoter = conf.voters.includes(change.node);
  const isLearner = conf.learners.includes(change.node);
  if (change.type === 'addVoter' && isVoter) return `Node ${change.node} is already a voter`;
  if (change.type === 'addLearner' && isLearner) return `Node ${change.node} is already a learner`;
  if (change.type === 'removeNode' && !isVoter && !isLearner) return `Node ${change.node} is not a member`;
  const after = applyConfChange(conf, change);
  if (after.voters.length === 0) return 'Cannot remove the last voter';
  return null;
}
