/**
 * Schema management for the Cassandra store: creates the keyspace when missing
 * (SimpleStrategy, configurable replication factor) and applies the versioned CQL files in
 * ./migrations (NNN_name.cql) that `schema_migrations` does not list yet, in order.
 * Every statement is `IF NOT EXISTS`-style, so two processes migrating at once converge.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Client } from "cassandra-driver";
import type { Logger } from "../../core/log.ts";

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

/** Splits a CQL file into statements (terminated by `;` at end of line); drops `--` comments. */
export function splitCql(text: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/--.*$/, "").trimEnd();
    if (!line.trim()) continue;
    cur.push(line);
    if (line.endsWith(";")) {
      out.push(cur.join("\n").slice(0, -1).trim());
      cur = [];
    }
  }
  if (cur.join("").trim()) out.push(cur.join("\n").trim());
  return out;
}

/** The migrations shipped with this version, ascending. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .map((f) => /^(\d+)_([a-z0-9_]+)\.cql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      version: Number(m[1]),
      name: m[2]!,
      statements: splitCql(readFileSync(dir + m[0], "utf8")),
    }))
    .sort((a, b) => a.version - b.version);
}

/** Creates the keyspace if needed and applies pending migrations. Returns applied versions. */
export async function migrate(client: Client, keyspace: string, replication: number, log?: Logger): Promise<number[]> {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new Error(`invalid keyspace name: ${keyspace}`);
  if (!Number.isInteger(replication) || replication < 1) throw new Error(`invalid replication factor: ${replication}`);
  await client.execute(
    `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': ${replication}}`,
  );
  await client.execute(
    `CREATE TABLE IF NOT EXISTS ${keyspace}.schema_migrations (version int PRIMARY KEY, name text, applied_at timestamp)`,
  );
  const rs = await client.execute(`SELECT version FROM ${keyspace}.schema_migrations`);
  const done = new Set(rs.rows.map((r) => Number(r.get("version"))));
  const applied: number[] = [];
  for (const m of loadMigrations()) {
    if (done.has(m.version)) continue;
    log?.info("cassandra migration", { keyspace, version: m.version, name: m.name });
    for (const stmt of m.statements) {
      // Qualify tables with the keyspace so no `USE` (session state) is needed.
      await client.execute(stmt.replace(/(CREATE TABLE IF NOT EXISTS|ALTER TABLE|CREATE INDEX IF NOT EXISTS \w+ ON) (\w+)/g, `$1 ${keyspace}.$2`));
    }
    await client.execute(
      `INSERT INTO ${keyspace}.schema_migrations (version, name, applied_at) VALUES (?, ?, toTimestamp(now()))`,
      [m.version, m.name],
      { prepare: true },
    );
    applied.push(m.version);
  }
  return applied;
}
