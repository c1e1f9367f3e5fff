/** The Cassandra store: `openCassandraStore(cfg)`. See docs/storage.md. */
export { CassandraStore, openCassandraStore, type CassandraStoreConfig } from "./store.ts";
export { BUCKET_SIZE } from "./context.ts";
