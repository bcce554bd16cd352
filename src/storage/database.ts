/**
 * The node's one SQLite database: opening, pragmas, schema, a cache of prepared statements and
 * transactions. better-sqlite3 is synchronous, so every call here blocks the event loop: callers
 * keep each call bounded (STYLE §9).
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { assert } from '../shared/assert.js';
import { ensureSchema } from './schema.js';
import type { SqlRow } from './sql-row.js';

export type Statement = Database.Statement<unknown[], SqlRow>;

/** SQLite's answers for a file that is not, or no longer, a readable database. */
const DAMAGED_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_IOERR_SHORT_READ']);

/**
 * The data file is damaged (garbage, truncated, overwritten): the node cannot start on it, and
 * only the operator can choose between restoring a backup and re-seeding this replica. The message
 * names the file, SQLite's code and both ways out; `raftkv serve` prints it and exits 1.
 */
export class DataFileError extends Error {
  override readonly name = 'DataFileError';

  constructor(readonly path: string, readonly sqliteCode: string, cause: Error) {
    super(`Cannot open the data file "${path}": ${cause.message} (${sqliteCode}); it is damaged or not a raftkv database. ` +
      'Restore the data directory from a backup, or remove this node from the cluster, delete its data directory and add it again as a new member', { cause });
  }

  /** The DataFileError for a SQLite error that says the file is damaged, else undefined. */
  static from(path: string, error: unknown): DataFileError | undefined {
    if (!(error instanceof Database.SqliteError) || !DAMAGED_CODES.has(error.code)) return undefined;
    return new DataFileError(path, error.code, error);
  }
}

export class StorageDatabase {
  private readonly statements = new Map<string, Statement>();

  private constructor(
    readonly sqlite: Database.Database,
    /** The database file; snapshots live in `${path}.snapshots/`. */
    readonly path: string,
  ) {}

  /** Opens or creates the database file; a damaged file throws DataFileError naming it. */
  static open(path: string): StorageDatabase {
    assert(path !== ':memory:' && path !== '', 'StorageDatabase needs a file: snapshots read it from a second connection');
    try {
      return StorageDatabase.openUnchecked(path);
    } catch (error) {
      throw DataFileError.from(path, error) ?? error;
    }
  }

  private static openUnchecked(path: string): StorageDatabase {
    const sqlite = new Database(path);
    // WAL lets a snapshot producer read a frozen view on its own connection while writes go on;
    // synchronous=FULL fsyncs the WAL on every commit, so a committed Ready batch survives power loss.
    const mode = sqlite.pragma('journal_mode = WAL', { simple: true });
    assert(mode === 'wal', `Cannot open database: journal_mode is ${String(mode)}, wanted wal`);
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = OFF');
    ensureSchema(sqlite);
    fs.mkdirSync(snapshotDirOf(path), { recursive: true, mode: 0o700 });
    return new StorageDatabase(sqlite, path);
  }

  get snapshotDir(): string {
    return snapshotDirOf(this.path);
  }

  get inTransaction(): boolean {
    return this.sqlite.inTransaction;
  }

  /** A prepared statement, compiled once per SQL text. */
  statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.sqlite.prepare<unknown[], SqlRow>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one transaction (a savepoint when nested); a throw rolls back everything in it. */
  transaction<T>(fn: () => T): T {
    // better-sqlite3's transaction() builds a wrapper per call; the Ready loop runs two
    // transactions per round, so the outermost level uses cached statements (same BEGIN DEFERRED).
    if (this.sqlite.inTransaction) return this.sqlite.transaction(fn)();
    this.statement('BEGIN').run();
    try {
      const result = fn();
      this.statement('COMMIT').run();
      return result;
    } catch (error) {
      if (this.sqlite.inTransaction) this.statement('ROLLBACK').run();
      throw error;
    }
  }

  /**
   * Like `transaction`, but its commit skips the WAL fsync (synchronous=NORMAL for this one commit).
   * Only for writes whose loss in a crash is harmless because a later FULL commit covers them or
   * recovery redoes them (snapshot install batches: see snapshot-store.ts). Safe in WAL mode: the
   * WAL is appended in order, so the next FULL commit's fsync makes these frames durable too, and
   * SQLite syncs the WAL before any checkpoint copies frames into the database file.
   */
  transactionUnsynced<T>(fn: () => T): T {
    assert(!this.sqlite.inTransaction, 'transactionUnsynced() cannot nest in another transaction');
    // Cached statements: pragma() prepares its statement anew on every call.
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      return this.transaction(fn);
    } finally {
      // Synchronous code: no other commit can run before FULL is back.
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  /**
   * Bytes the database's pages in use take (free pages not counted, committed WAL frames counted):
   * what the space quota measures. Deleting data lowers it, and the file only grows once it passes
   * the file's size, since SQLite reuses free pages first. Reads two header fields: cheap.
   */
  usedBytes(): number {
    const pages = Number(this.statement('PRAGMA page_count').pluck().get());
    const free = Number(this.statement('PRAGMA freelist_count').pluck().get());
    const pageBytes = Number(this.statement('PRAGMA page_size').pluck().get());
    return (pages - free) * pageBytes;
  }

  /** Bytes of the database file and its WAL on disk. */
  fileBytes(): number {
    return [this.path, `${this.path}-wal`].reduce((total, file) => total + (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0);
  }

  close(): void {
    this.statements.clear();
    this.sqlite.close();
  }
}

export function snapshotDirOf(dbPath: string): string {
  return `${dbPath}.snapshots`;
}

/** A read-only connection for snapshot production; see snapshot-producer.ts. */
export function openReader(dbPath: string): Database.Database {
  return new Database(dbPath, { readonly: true, fileMustExist: true });
}
