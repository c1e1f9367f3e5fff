/** Opens the embedded SQLite store (Bun runtime). */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openDatabase } from "../../runtime/bun/sqlite.ts";
import type { StoreOptions } from "../../core/store.ts";
import { SqliteStore } from "./sqlite-store.ts";

export { SqliteStore };

/** Options of {@link openSqliteStore}: the database file and the message retention. */
export interface SqliteStoreOptions extends StoreOptions {
  /** Database file; its parent directory is created when missing. */
  path: string;
}

/** Opens (creating when missing) the SQLite store at `opts.path`. */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<SqliteStore> {
  mkdirSync(dirname(opts.path), { recursive: true });
  return new SqliteStore(openDatabase(opts.path), opts.ttlSeconds, opts.searchIndex ?? true);
}
