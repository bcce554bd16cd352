/**
 * Goal: the event log of a run: printed as it happens with --seed (verbose), otherwise kept as a
 * bounded tail so a failing seed can show what led up to the violation. Method: one line per
 * interesting event, prefixed with the virtual time; message summaries name type, route and term.
 */
import type { CoreLogger, LogFields } from '../../src/raft/logger.js';
import type { RaftMessage } from '../../src/raft/messages.js';
import type { NodeId } from '../../src/shared/ids.js';
import { bytesText } from './kv-state-machine.js';

export class Trace {
  private lines: string[] = [];

  constructor(
    private readonly clock: () => number,
    private readonly linesKept: number,
    private readonly print: ((line: string) => void) | undefined,
  ) {}

  get isVerbose(): boolean {
    return this.print !== undefined;
  }

  log(text: string): void {
    const line = `${this.clock().toFixed(1).padStart(8)}ms ${text}`;
    this.print?.(line);
    this.lines.push(line);
    if (this.lines.length > 2 * this.linesKept) this.lines = this.lines.slice(-this.linesKept);
  }

  tail(count: number): string[] {
    return this.lines.slice(-count);
  }

  /** A core logger writing into this trace: info and warn always, debug only when verbose. */
  coreLogger(node: NodeId): CoreLogger {
    const line = (level: string) => (fields: LogFields, message: string): void => {
      this.log(`n${node} ${level} ${message}${formatFields(fields)}`);
    };
    return { debug: this.isVerbose ? line('DEBUG') : () => undefined, info: line('INFO'), warn: line('WARN') };
  }
}

function formatFields(fields: LogFields): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${Array.isArray(value) ? `[${value.join(',')}]` : String(value)}`);
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

export function describeMessage(m: RaftMessage): string {
  const head = `${m.type} n${m.from}->n${m.to} t${m.term}`;
  switch (m.type) {
    case 'requestVote':
      return `${head} last=${m.lastLogIndex}/t${m.lastLogTerm}${m.preVote ? ' pre' : ''}${m.transfer ? ' transfer' : ''}`;
    case 'requestVoteReply':
      return `${head} ${m.granted ? 'granted' : 'rejected'}${m.preVote ? ' pre' : ''}`;
    case 'appendEntries': {
      const entries = m.entries.map((e) => `${e.index}/t${e.term}${e.type === 'confChange' ? 'c' : ''}`).join(',');
      return `${head} prev=${m.prevLogIndex}/t${m.prevLogTerm} [${entries}] commit=${m.commit}`;
    }
    case 'appendEntriesReply':
      return `${head} ${m.success ? 'ok' : 'reject'} index=${m.index} hint=${m.hintIndex}/t${m.hintTerm}`;
    case 'heartbeat':
      return `${head} commit=${m.commit} read=${m.readSeq}${m.quiesce ? ' quiesce' : ''}`;
    case 'heartbeatReply':
      return `${head} read=${m.readSeq}`;
    case 'installSnapshot':
      return `${head} snap=${m.meta.index}/t${m.meta.term} offset=${m.offset} bytes=${m.data.byteLength}${m.done ? ' done' : ''}`;
    case 'installSnapshotReply':
      return `${head} snap=${m.snapshotIndex} offset=${m.offset}${m.done ? ' done' : ''}${m.accepted ? '' : ' refused'}`;
    case 'timeoutNow':
      return head;
    case 'readIndexRequest':
      return `${head} ${m.requestId}`;
    case 'readIndexReply':
      return `${head} ${m.requestId} index=${m.index}${m.rejected ? ' rejected' : ''}${m.overloaded ? ' overloaded' : ''}`;
  }
}

export function describeData(data: Uint8Array): string {
  return data.byteLength === 0 ? 'no-op' : bytesText(data);
}
