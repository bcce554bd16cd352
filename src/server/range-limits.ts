/**
 * Bounds on the work and the answer of one Range call (STYLE §1.3). Not replicated: a Range is a
 * read served by one node, so these may differ between nodes without harm. They override any
 * `limit` a client asks for, 0 included; a page cut short says `more` and carries a page token.
 */
export const rangeLimits = {
  /**
   * Keys in one Range response page: a `limit` of 0 or above this means this (kv.proto). Building
   * and serializing a response is synchronous and costs about as much per row as reading it
   * (uint64 fields travel as decimal strings): 1,000 rows take about a millisecond warm, 10,000
   * took 0.3–2 s on the loaded 2-core test machine (`bench/README.md`, scan while writing).
   */
  pageRowsMax: 1000,
  /**
   * Key and value bytes in one response page. A page stops before the row that would pass this,
   * but always holds at least one row, so the largest response is this plus one key and value
   * (under gRPC's default 4 MiB message bound either way).
   */
  pageBytesMax: 1024 * 1024,
  /**
   * Rows read from one group in one synchronous step (one SQLite statement) before the handler
   * yields to the event loop: Raft ticks, heartbeats and other calls run between steps. About a
   * millisecond of reading on a loaded machine.
   */
  stepRowsMax: 1000,
  /** Rows one COUNT step walks before yielding (counting is an index walk, cheaper per row). */
  countStepRowsMax: 20_000,
  /**
   * Milliseconds of steps one call runs back to back (yielding with setImmediate) before it
   * sleeps for a timer turn instead. A process that never sleeps loses the scheduler's prompt
   * wake-up on a loaded machine, and its Raft ticks and heartbeats come late with it.
   */
  busyMsMax: 10,
} as const;
