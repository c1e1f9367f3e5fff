/**
 * The tiny, runtime-neutral SQLite interface the embedded store is written against. Each
 * runtime provides it (Bun: src/runtime/bun/sqlite.ts); the store never imports a runtime.
 */

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | null | Uint8Array;

/** An open SQLite database. All calls are synchronous, as SQLite is. */
export interface SqlDatabase {
  /** Runs one or more statements without results (schema, pragmas). */
  exec(sql: string): void;
  /** All rows of a query. */
  all<T>(sql: string, ...params: SqlValue[]): T[];
  /** The first row of a query, or null. */
  get<T>(sql: string, ...params: SqlValue[]): T | null;
  /** Runs a statement; returns the number of changed rows. */
  run(sql: string, ...params: SqlValue[]): number;
  /**
   * Runs `fn` inside one write transaction (`BEGIN IMMEDIATE`): the write lock is taken at the
   * start, so concurrent writers in other processes serialise instead of failing mid-way.
   * Rolled back when `fn` throws.
   */
  transaction<T>(fn: () => T): T;
  /** Closes the database file. */
  close(): void;
}

/** Opens (creating when missing) the database file at `path`. */
export type OpenDatabase = (path: string) => SqlDatabase;
