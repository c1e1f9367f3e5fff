/** Opens the configured store: embedded SQLite (default) or Cassandra. */
import type { StoreConfig } from "../core/config.ts";
import type { Logger } from "../core/log.ts";
import type { Store } from "../core/store.ts";

/** Opens the store named by `cfg.MAGPIE_STORE`. */
export async function openStore(cfg: StoreConfig, log: Logger): Promise<Store> {
  const ttlSeconds = cfg.MAGPIE_RETENTION_DAYS * 86_400;
  if (cfg.MAGPIE_STORE === "cassandra") {
    const { openCassandraStore } = await import("./cassandra/index.ts");
    return await openCassandraStore({
      contactPoints: cfg.MAGPIE_CASSANDRA_CONTACT_POINTS,
      localDataCenter: cfg.MAGPIE_CASSANDRA_DC,
      keyspace: cfg.MAGPIE_CASSANDRA_KEYSPACE,
      replication: cfg.MAGPIE_CASSANDRA_REPLICATION,
      consistency: cfg.MAGPIE_CASSANDRA_CONSISTENCY,
      ttlSeconds,
      log,
    });
  }
  const { openSqliteStore } = await import("./sqlite/index.ts");
  return await openSqliteStore({ path: cfg.MAGPIE_SQLITE_PATH, ttlSeconds });
}
