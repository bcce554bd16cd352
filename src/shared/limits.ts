/**
 * Documented bounds on what a peer message may carry (docs/node.md, "Peer input"). The transport
 * refuses any message with a field outside them (src/transport/codec-bodies.ts), so the Raft core
 * only ever sees values it can do arithmetic on: every bound leaves headroom below 2^53, so that
 * `term + 1` or `index + entries` can never leave the safe-integer range and trip an assert.
 *
 * The numbers are far beyond anything a real cluster reaches: 2^52 terms is one election per
 * microsecond for 140 years; 2^52 log indexes is a million writes a second for 140 years.
 */

/** Highest term a peer may name. A core at this term refuses to campaign instead of overflowing. */
export const TERM_MAX = 2 ** 52;

/** Highest log index (entry index, commit, match, hint) a peer may name. */
export const LOG_INDEX_MAX = 2 ** 52;

/** Group ids are small: founding groups count from 1, splits take the next free id. */
export const GROUP_ID_MAX = 2 ** 32;

/** ReadIndex round numbers and snapshot byte offsets: counters, with the same headroom. */
export const PEER_COUNTER_MAX = 2 ** 52;

/**
 * Entries in one append. A leader sends at most appendBytesMax (default 1 MiB) per append, and an
 * entry costs at least 24 bytes of it (src/raft/log-reader.ts entryBytes), so 65 536 leaves room for
 * an appendBytesMax of 1.5 MiB of empty entries and bounds the decoder's work per message.
 */
export const ENTRIES_PER_MESSAGE_MAX = 65_536;

/** Data bytes of one entry: a write is at most the 64 MiB request bound (src/server/config.ts). */
export const ENTRY_BYTES_MAX = 64 * 1024 * 1024;

/** Data bytes of one snapshot chunk (snapshotChunkBytesMax defaults to 512 KiB). */
export const SNAPSHOT_CHUNK_BYTES_MAX = 16 * 1024 * 1024;

/** Voters plus learners in a snapshot's membership (replicas are at most 7; this allows moves). */
export const MEMBERS_MAX = 256;

/** Length of a ReadIndex request id (the runtime makes "<prefix>-<counter>", well below this). */
export const REQUEST_ID_CHARS_MAX = 256;

/** Length of a member address in a snapshot's membership. */
export const ADDRESS_CHARS_MAX = 1024;

/**
 * How far a node's term may rise within one election timeout (src/raft/election.ts). Real clusters
 * move by one term per election; a node that was away for many elections catches up in steps of
 * this size, one step per election timeout, while a member that keeps naming far-future terms can
 * move a node no faster than this: 2^52 / 2^16 election timeouts is 2^36 of them, millennia.
 */
export const TERM_RISE_PER_WINDOW_MAX = 2 ** 16;
