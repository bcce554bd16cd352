/**
 * Named upper bounds of the storage layer (STYLE §1.3: every batch has a bound).
 *
 * The bounds marked "replicated" shape what a command does when applied, so every replica must run
 * with the same values; changing one is a protocol change, like changing the command encoding.
 */
export const storageLimits = {
  /** Replicated. Keys stay small: they are repeated in every index page and every range reply. */
  keyBytesMax: 4096,
  /** Replicated. One value; a Raft entry carries at most a few of these. */
  valueBytesMax: 1024 * 1024,
  /** Replicated. Client session ids (Raft thesis §6.3). */
  sessionIdBytesMax: 128,
  /** Replicated. Items in one batchPut command. */
  batchPutItemsMax: 1000,
  /** Replicated. Compares and operations per branch in one txn, as etcd's default of 128. */
  txnComparesMax: 128,
  txnOpsMax: 128,
  /** Replicated. Keys one range returns: the largest valid `limit`, and the default without one. */
  rangeLimitMax: 10_000,
  /** Replicated. Key and value bytes one range returns before it stops early with `more`. */
  rangeBytesMax: 4 * 1024 * 1024,
  /** Runs of equal terms the log store keeps in memory; older terms are read from SQLite. */
  termRunsMax: 4096,
  /**
   * Newest log entries each group keeps in memory for reads soon after their append (apply, and
   * sending to a follower that lags a little): a few rounds' worth. Not more: every entry held
   * here survives young-generation GCs and gets promoted, which cost more than the SELECTs saved
   * when the bound was 4096 entries (bench: persist slowed by about 1 µs per entry).
   */
  recentEntriesBytesMax: 1024 * 1024,
  recentEntriesMax: 512,
  /** Rows per snapshot record: one SQLite read, one file write and one install transaction. */
  snapshotBatchRowsMax: 1000,
  snapshotBatchBytesMax: 1024 * 1024,
  /**
   * Log rows a compaction leaves to delete per transaction (SqliteLogStore.purgeCompacted): about
   * 10 ms of deleting, as long as a whole compaction took when it came every 10,000 entries.
   */
  logPurgeRowsMax: 10_000,
  /** Rows deleted per transaction when an install clears a group's old keys. */
  installDeleteRowsMax: 2000,
  /** Bytes read from a snapshot file per read call. */
  snapshotReadBufferBytes: 1024 * 1024,
} as const;
