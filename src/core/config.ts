/**
 * Config parsing: each role declares one zod schema over environment variables and parses it
 * once at its entry point. A bad value stops the process with a message naming the variable.
 */
import { z } from "zod";

/** Parses `env` with `schema`; throws an Error naming every bad variable. */
export function parseConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(result.data) as Readonly<z.output<S>>;
}

/** Env helpers: integers, booleans, lists, with defaults. */
export const env = {
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(def),
  bool: (def: boolean) =>
    z.enum(["1", "0", "true", "false", "yes", "no"]).default(def ? "true" : "false")
      .transform((v) => v === "1" || v === "true" || v === "yes"),
  list: (def: string) =>
    z.string().default(def).transform((v) => v.split(",").map((s) => s.trim()).filter(Boolean)),
  str: (def: string) => z.string().min(1).default(def),
  level: () => z.enum(["debug", "info", "warn", "error"]).default("info"),
};

/** Storage settings shared by the roles that open a store (handler, tests, benches). */
export const StoreEnv = z.object({
  MAGPIE_STORE: z.enum(["sqlite", "cassandra"]).default("sqlite"),
  MAGPIE_SQLITE_PATH: env.str("./data/magpie.sqlite"),
  MAGPIE_CASSANDRA_CONTACT_POINTS: env.list("127.0.0.1:9042"),
  MAGPIE_CASSANDRA_DC: env.str("datacenter1"),
  MAGPIE_CASSANDRA_KEYSPACE: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, "lowercase keyspace name").default("magpie"),
  MAGPIE_CASSANDRA_REPLICATION: env.int(1, 1, 9),
  MAGPIE_CASSANDRA_CONSISTENCY: z.enum(["ONE", "LOCAL_ONE", "QUORUM", "LOCAL_QUORUM", "ALL"]).default("LOCAL_QUORUM"),
  MAGPIE_RETENTION_DAYS: env.int(0, 0, 3650),
});
/** Parsed storage settings. */
export type StoreConfig = z.output<typeof StoreEnv>;
