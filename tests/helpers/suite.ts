/**
 * The lifecycle every Cassandra-backed integration file shares: before the tests, a fresh
 * keyspace (schema created once) and a cluster of real processes on it; afterwards, the files'
 * clients closed, the processes stopped and the keyspace dropped.
 */
import { afterAll, beforeAll } from "bun:test";
import { startCluster, type Cluster, type ClusterSpec } from "./cluster.ts";
import { createKeyspace, dropKeyspace } from "./keyspace.ts";

/** A cluster that exists while the file's tests run; register clients to have them closed. */
export interface ClusterSuite {
  readonly cluster: Cluster;
  readonly clients: { close(): Promise<void> }[];
}

/** Registers the hooks; `prefix` names the keyspace (`<prefix>_<random>`). */
export function cassandraClusterSuite(prefix: string, spec: Omit<ClusterSpec, "store" | "keyspace">): ClusterSuite {
  let keyspace = "";
  let cluster: Cluster | undefined;
  const clients: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    keyspace = await createKeyspace(prefix); // before several handlers open it
    cluster = await startCluster({ ...spec, store: "cassandra", keyspace });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await cluster?.stop();
    await dropKeyspace(keyspace);
  });
  return {
    get cluster() {
      if (!cluster) throw new Error("cluster not started (beforeAll failed?)");
      return cluster;
    },
    clients,
  };
}
