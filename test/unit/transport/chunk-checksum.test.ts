// Goal: a snapshot chunk damaged between peers is refused at the transport boundary, before the
// Raft core could acknowledge or stage it (issue #14 item 5). Method: real protobuf bytes of an
// encoded chunk with one bit flipped inside its data, and hand-made wire objects with a missing,
// short or mismatched checksum; each must decode to a refusal naming the problem.
import { describe, expect, it } from 'vitest';
import { groupId, logIndex, nodeId, term } from '../../../src/shared/ids.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import { decodeBatch, decodeMessage, encodeBatch, encodeMessage } from '../../../src/transport/codec.js';
import { chunkSha256 } from '../../../src/transport/chunk-checksum.js';
import { raftTransportProto } from '../../../src/transport/proto-loader.js';

const proto = raftTransportProto();
const data = new Uint8Array(256).fill(0xab);
const chunk: RaftMessage = {
  type: 'installSnapshot', from: nodeId(1), to: nodeId(2), term: term(4),
  meta: { index: logIndex(90), term: term(3), conf: { voters: [nodeId(1), nodeId(2)], learners: [] } }, offset: 1024, data, done: false,
};

/** The chunk through real protobuf bytes, with `damage` applied to the serialized batch. */
function decodeSerialized(damage: (bytes: Buffer) => void): ReturnType<typeof decodeMessage> {
  const bytes = Buffer.from(proto.serializeBatch(encodeBatch(nodeId(1), [encodeMessage(groupId(3), chunk)])));
  damage(bytes);
  const batch = decodeBatch(proto.deserializeBatch(bytes));
  if (!batch.ok) throw new Error(batch.reason);
  return decodeMessage(batch.messages[0]);
}

function wireChunk(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    groupId: '3', from: '1', to: '2', term: '4', body: 'installSnapshot',
    installSnapshot: { meta: { index: '90', term: '3', voters: ['1', '2'], learners: [] }, offset: '1024', data: Buffer.from(data), done: false, ...fields },
  };
}

describe('snapshot chunk checksum', () => {
  it('an undamaged chunk decodes with its data', () => {
    const decoded = decodeSerialized(() => undefined);
    expect(decoded).toEqual({ ok: true, group: 3, message: chunk });
  });

  it('a chunk with one bit flipped in its data is refused', () => {
    const decoded = decodeSerialized((bytes) => {
      const at = bytes.indexOf(Buffer.from(data));
      expect(at).toBeGreaterThan(0);
      bytes[at + 100] = (bytes[at + 100] ?? 0) ^ 0x01;
    });
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(/installSnapshot\.data fails its sha256 check \(256 bytes at offset 1024\)/);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no checksum', {}, /dataSha256 is undefined, not bytes/],
    ['an empty checksum (a sender without checksums)', { dataSha256: Buffer.alloc(0) }, /dataSha256 has 0 bytes, not 32/],
    ['a short checksum', { dataSha256: Buffer.alloc(4) }, /dataSha256 has 4 bytes, not 32/],
    ['the checksum of other data', { dataSha256: Buffer.from(chunkSha256(new Uint8Array(256))) }, /fails its sha256 check/],
  ])('a chunk with %s is refused', (_name, fields, reason) => {
    const decoded = decodeMessage(wireChunk(fields));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toMatch(reason);
  });

  it('the checksum of the very data decodes', () => {
    expect(decodeMessage(wireChunk({ dataSha256: Buffer.from(chunkSha256(data)) })).ok).toBe(true);
  });
});
