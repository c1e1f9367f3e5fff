/**
 * Bun's built-in SQLite behind the runtime-neutral {@link SqlDatabase} interface. The only
 * file that imports `bun:sqlite`.
 */
import { Database } from "bun:sqlite";
import type { SqlDatabase, SqlValue } from "../../store/sqlite/database.ts";

/** Opens (creating when missing) a file-backed database in WAL mode with a busy timeout. */
export function openDatabase(path: string): SqlDatabase {
  const db = new Database(path, { create: true, readwrite: true });
  db.exec("PRAGMA busy_timeout = 10000"); // first, so the pragmas below wait for other writers too
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  return {
    exec: (sql) => void db.exec(sql),
    all: <T>(sql: string, ...params: SqlValue[]) => db.query(sql).all(...params) as T[],
    get: <T>(sql: string, ...params: SqlValue[]) => (db.query(sql).get(...params) as T | null) ?? null,
    run: (sql, ...params) => db.query(sql).run(...params).changes,
    transaction: <T>(fn: () => T): T => db.transaction(fn).immediate(),
    close: () => db.close(false),
  };
}
