/**
 * The shapes of proto/raftkv/v1/raft.proto messages as the encoder builds them (camelCase fields,
 * see proto-loader.ts). Only the sending side is typed: what arrives from a peer is `unknown` until
 * the codec has checked it.
 */

/**
 * A uint64 field. The encoder writes numbers (always safe integers); under `longs: String` the
 * decoder meets decimal strings, and it accepts both.
 */
export type WireUint64 = number | string;

export type WireEntryType = 'ENTRY_TYPE_NORMAL' | 'ENTRY_TYPE_CONF_CHANGE';

export interface WireEntry {
  readonly index: WireUint64;
  readonly term: WireUint64;
  readonly type: WireEntryType;
  readonly data: Uint8Array;
}

export interface WireSnapshotMeta {
  readonly index: WireUint64;
  readonly term: WireUint64;
  readonly voters: readonly WireUint64[];
  readonly learners: readonly WireUint64[];
  readonly addresses: readonly { readonly node: WireUint64; readonly address: string }[];
}

/** One entry per member of `GroupMessage.body`, keyed by its camelCase name (= RaftMessage type). */
export interface WireBodies {
  readonly requestVote: {
    readonly lastLogIndex: WireUint64;
    readonly lastLogTerm: WireUint64;
    readonly preVote: boolean;
    readonly transfer: boolean;
  };
  readonly requestVoteReply: { readonly preVote: boolean; readonly granted: boolean };
  readonly appendEntries: {
    readonly prevLogIndex: WireUint64;
    readonly prevLogTerm: WireUint64;
    readonly entries: readonly WireEntry[];
    readonly commit: WireUint64;
  };
  readonly appendEntriesReply: {
    readonly success: boolean;
    readonly index: WireUint64;
    readonly hintIndex: WireUint64;
    readonly hintTerm: WireUint64;
  };
  readonly heartbeat: { readonly commit: WireUint64; readonly readSeq: WireUint64; readonly quiesce: boolean };
  readonly heartbeatReply: { readonly readSeq: WireUint64 };
  readonly installSnapshot: {
    readonly meta: WireSnapshotMeta;
    readonly offset: WireUint64;
    readonly data: Uint8Array;
    /** sha256 of `data` (src/transport/chunk-checksum.ts). */
    readonly dataSha256: Uint8Array;
    readonly done: boolean;
  };
  readonly installSnapshotReply: {
    readonly snapshotIndex: WireUint64;
    readonly offset: WireUint64;
    readonly done: boolean;
    readonly accepted: boolean;
  };
  readonly timeoutNow: Readonly<Record<string, never>>;
  readonly readIndexRequest: { readonly requestId: string };
  readonly readIndexReply: { readonly requestId: string; readonly index: WireUint64; readonly rejected: boolean; readonly overloaded: boolean };
}

export type WireBodyName = keyof WireBodies;

export interface WireEnvelope {
  readonly groupId: WireUint64;
  readonly from: WireUint64;
  readonly to: WireUint64;
  readonly term: WireUint64;
}

/**
 * A GroupMessage with exactly one body member set. `body` names it, as the `oneofs: true` decoder
 * does; protobufjs ignores it when encoding, but it lets an encoded object be decoded in memory.
 */
export type WireGroupMessage = {
  readonly [K in WireBodyName]: WireEnvelope & { readonly body: K } & { readonly [P in K]: WireBodies[K] };
}[WireBodyName];

export interface WireMessageBatch {
  readonly fromNode: WireUint64;
  readonly messages: readonly WireGroupMessage[];
}

export interface WireHelloRequest {
  readonly nodeId: WireUint64;
  readonly clusterId: string;
  readonly address: string;
}

export interface WireHelloResponse {
  readonly nodeId: WireUint64;
  readonly clusterId: string;
}
