/** Message factories and receivers shared by the transport tests. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { groupId, logIndex, nodeId, term, type GroupId, type NodeId } from '../../../src/shared/ids.js';
import type { RaftMessage } from '../../../src/raft/messages.js';
import type { PeerTransport, TransportLogger } from '../../../src/transport/peer-transport.js';

/** A heartbeat whose readSeq numbers it, so tests can check order. */
export function heartbeat(from: number, to: number, readSeq: number): RaftMessage {
  return { type: 'heartbeat', from: nodeId(from), to: nodeId(to), term: term(1), commit: logIndex(0), readSeq, quiesce: false };
}

export function append(from: number, to: number, dataBytes: number): RaftMessage {
  return {
    type: 'appendEntries', from: nodeId(from), to: nodeId(to), term: term(1), prevLogIndex: logIndex(0), prevLogTerm: term(0),
    entries: [{ index: logIndex(1), term: term(1), type: 'normal', data: new Uint8Array(dataBytes) }], commit: logIndex(0),
  };
}

export interface Received {
  readonly group: GroupId;
  readonly message: RaftMessage;
}

export function collect(transport: PeerTransport): Received[] {
  const received: Received[] = [];
  transport.onMessage((group, message) => received.push({ group, message }));
  return received;
}

export function readSeqs(received: readonly Received[]): number[] {
  return received.map(({ message }) => (message.type === 'heartbeat' ? message.readSeq : -1));
}

export function sendHeartbeats(transport: PeerTransport, from: number, to: number, seqs: readonly number[]): void {
  for (const seq of seqs) transport.send(nodeId(to), groupId(seq % 3), heartbeat(from, to, seq));
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

export type LogLine = Readonly<Record<string, unknown>> & { readonly level: number; readonly msg: string };

/** A real pino logger (so the TransportLogger type is exercised) that keeps parsed lines. */
export function captureLogger(): { logger: TransportLogger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export const PINO_WARN = 40;
export const PINO_ERROR = 50;

export const n = (value: number): NodeId => nodeId(value);
