/**
 * Cassandra-side counters for attributing cost: completed tasks of the native-transport
 * (client requests), mutation (writes) and read stages, from `system_views.thread_pools`.
 * The node is shared: anything else using it during a run is counted too.
 */
import cassandra from "cassandra-driver";

export type CassCounters = { requests: number; mutations: number; reads: number };

let client: cassandra.Client | null = null;

export async function cassCounters(): Promise<CassCounters | null> {
  try {
    client ??= new cassandra.Client({ contactPoints: [process.env.MAGPIE_CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042"], localDataCenter: process.env.MAGPIE_CASSANDRA_DC ?? "datacenter1" });
    const rs = await client.execute("SELECT name, completed_tasks FROM system_views.thread_pools");
    const by: Record<string, number> = {};
    for (const r of rs.rows) by[String(r.get("name"))] = Number(r.get("completed_tasks"));
    return { requests: by["Native-Transport-Requests"] ?? 0, mutations: by["MutationStage"] ?? 0, reads: by["ReadStage"] ?? 0 };
  } catch {
    const c = client;
    client = null;
    await c?.shutdown().catch(() => {});
    return null;
  }
}

export async function closeCass(): Promise<void> {
  await client?.shutdown();
  client = null;
}
