/**
 * A throwaway Cassandra keyspace per integration test file: created and migrated once before
 * the cluster starts (so several handlers don't race on the schema), dropped afterwards.
 */
import cassandra from "cassandra-driver";
import { openCassandraStore } from "../../src/store/cassandra/index.ts";

const CONTACT = ["127.0.0.1:9042"];
const DC = "datacenter1";

/** Creates and migrates `<prefix>_<random>`; returns its name. */
export async function createKeyspace(prefix: string): Promise<string> {
  const name = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
  const s = await openCassandraStore({ contactPoints: CONTACT, localDataCenter: DC, keyspace: name, replication: 1, consistency: "ONE", ttlSeconds: 0 });
  await s.close();
  return name;
}

/** Drops a keyspace (best effort: the node may already be gone). */
export async function dropKeyspace(name: string | undefined): Promise<void> {
  if (!name) return;
  const c = new cassandra.Client({ contactPoints: CONTACT, localDataCenter: DC });
  try {
    await c.connect();
    await c.execute(`DROP KEYSPACE IF EXISTS ${name}`);
  } catch {
    // nothing to drop
  } finally {
    await c.shutdown().catch(() => {});
  }
}
