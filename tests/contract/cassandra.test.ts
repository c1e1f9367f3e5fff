/**
 * The store contract suite against CassandraStore on a real node (scripts/cassandra.sh start;
 * scripts/test.sh starts it before `bun test`). Each run uses its own keyspaces
 * (magpie_test_<random>) and drops them at the end. Cassandra unreachable = a FAILED test with
 * the reason, never a skip.
 */
import { afterAll, describe, expect, test } from "bun:test";
import cassandra from "cassandra-driver";
import { randomId } from "../../src/core/ids.ts";
import type { Store } from "../../src/core/store.ts";
import { BUCKET_SIZE, openCassandraStore, type CassandraStore } from "../../src/store/cassandra/index.ts";
import { createGroup, msg, range, userId } from "../helpers/builders.ts";
import { runStoreContract } from "./store.contract.ts";

const contactPoints = (process.env.MAGPIE_CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042").split(",").map((s) => s.trim());
const localDataCenter = process.env.MAGPIE_CASSANDRA_DC ?? "datacenter1";
const run = randomId(8).toLowerCase();
const keyspaces = new Set<string>();
let lastKeyspace = "";
let n = 0;

async function open(keyspace: string, ttlSeconds = 0): Promise<CassandraStore> {
  keyspaces.add(keyspace);
  try {
    return await openCassandraStore({ contactPoints, localDataCenter, keyspace, replication: 1, consistency: "LOCAL_QUORUM", ttlSeconds });
  } catch (err) {
    throw new Error(
      `Cassandra is not reachable at ${contactPoints.join(",")} — start it with \`scripts/cassandra.sh start\` ` +
        `(scripts/test.sh does this). Cause: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

afterAll(async () => {
  if (keyspaces.size === 0) return;
  const admin = new cassandra.Client({ contactPoints, localDataCenter });
  try {
    await admin.connect();
    for (const ks of keyspaces) await admin.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
  } catch {
    // Nothing to drop when the node is down; the failing tests already say why.
  } finally {
    await admin.shutdown().catch(() => {});
  }
}, 120_000);

runStoreContract("cassandra", {
  async open() {
    lastKeyspace = `magpie_test_${run}_${++n}`;
    return open(lastKeyspace);
  },
  async reopen() {
    return open(lastKeyspace);
  },
  async openWithTtl(ttlSeconds) {
    return open(`magpie_test_${run}_ttl${++n}`, ttlSeconds);
  },
});

/** Cassandra-specific behaviour beyond the shared contract. */
describe("cassandra store specifics", () => {
  let store: CassandraStore;
  const ks = `magpie_test_${run}_x`;

  test("opens (the node answers CQL)", async () => {
    store = await open(ks);
    expect(store.kind).toBe("cassandra");
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  test("concurrent appends are group-committed (fewer LWT batches than messages)", async () => {
    const alice = userId();
    const conv = await createGroup(store, alice);
    const before = { ...store.stats };
    const results = await Promise.all(range(1, 200).map((i) => store.append(msg(conv, alice, `burst ${i}`))));
    expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).toEqual(range(1, 200));
    const batches = store.stats.batches - before.batches;
    expect(batches).toBeLessThan(50);
    expect(await store.head(conv)).toBe(200);
  }, 120_000);

  test("two store instances (two 'processes') appending to one conversation keep seqs dense", async () => {
    const other = await open(ks);
    try {
      const alice = userId();
      const conv = await createGroup(store, alice);
      const writes = range(1, 120).map((i) => (i % 2 === 0 ? store : other).append(msg(conv, alice, `two ${i}`)));
      const seqs = (await Promise.all(writes)).map((r) => r.message.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(range(1, 120));
      const stored = await store.read(conv, { after: 0, limit: 1000 });
      expect(stored.map((m) => m.seq)).toEqual(range(1, 120));
      expect(await other.head(conv)).toBe(120);
      // A retry on the other instance is deduped through the dedupe table.
      const first = await store.append(msg(conv, alice, "once", { clientMsgId: "cross-1" }));
      const again = await other.append(msg(conv, alice, "twice", { clientMsgId: "cross-1" }));
      expect(again).toEqual({ message: first.message, duplicate: true });
    } finally {
      await other.close();
    }
  }, 120_000);

  test("appends cross a bucket boundary without holes; reads walk buckets both ways", async () => {
    const alice = userId();
    const conv = await createGroup(store, alice);
    // Fast-forward the conversation to just below the first bucket end (test-only shortcut).
    const client = new cassandra.Client({ contactPoints, localDataCenter });
    await client.connect();
    try {
      const start = BUCKET_SIZE - 5; // next seq: 9996
      await client.execute(`UPDATE ${ks}.messages SET last_seq = ? WHERE conv_id = ? AND bucket = 0`, [start, conv], { prepare: true });
      await client.execute(`UPDATE ${ks}.conversations SET last_seq_hint = ? WHERE conv_id = ?`, [start, conv], { prepare: true });
    } finally {
      await client.shutdown();
    }
    const fresh = await open(ks); // no cached head in this instance
    try {
      const results = await Promise.all(range(1, 12).map((i) => fresh.append(msg(conv, alice, `edge ${i}`))));
      expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).toEqual(range(BUCKET_SIZE - 4, BUCKET_SIZE + 7));
      expect(await fresh.head(conv)).toBe(BUCKET_SIZE + 7);
      expect(await store.head(conv)).toBe(BUCKET_SIZE + 7);
      const fwd = await fresh.read(conv, { after: BUCKET_SIZE - 5, limit: 100 });
      expect(fwd.map((m) => m.seq)).toEqual(range(BUCKET_SIZE - 4, BUCKET_SIZE + 7));
      const back = await fresh.read(conv, { limit: 8 });
      expect(back.map((m) => m.seq)).toEqual(range(BUCKET_SIZE, BUCKET_SIZE + 7).reverse());
      const back2 = await fresh.read(conv, { before: BUCKET_SIZE + 2, limit: 5 });
      expect(back2.map((m) => m.seq)).toEqual([10001, 10000, 9999, 9998, 9997]);
      const row = (await fresh.listUserConversations(alice)).find((c) => c.convId === conv);
      expect(row?.lastSeq).toBe(BUCKET_SIZE + 7);
    } finally {
      await fresh.close();
    }
  }, 120_000);

  test("a retry after its writer died between commit and dedupe write is not stored twice (cold or racing process)", async () => {
    const alice = userId();
    const conv = await createGroup(store, alice);
    await store.append(msg(conv, alice, "one", { clientMsgId: "dead-1" }));
    await store.append(msg(conv, alice, "two", { clientMsgId: "dead-2" }));
    // Simulate the crash window: the messages are committed, their dedupe rows never written.
    const admin = new cassandra.Client({ contactPoints, localDataCenter });
    await admin.connect();
    for (const id of ["dead-1", "dead-2"]) await admin.execute(`DELETE FROM ${ks}.dedupe WHERE sender_id = ? AND client_msg_id = ?`, [alice, id], { prepare: true });
    await admin.shutdown();
    // Another process (cold: never saw this conversation) receives the client's retries.
    const other = await open(ks);
    try {
      const r1 = await other.append(msg(conv, alice, "one", { clientMsgId: "dead-1" }));
      expect(r1).toMatchObject({ duplicate: true, message: { seq: 1, body: "one" } });
      // A process with a stale cached head learns of the write through a lost CAS race.
      const r3 = await other.append(msg(conv, alice, "three", { clientMsgId: "live-3" }));
      expect(r3.message.seq).toBe(3);
      const r2 = await store.append(msg(conv, alice, "two", { clientMsgId: "dead-2" }));
      expect(r2).toMatchObject({ duplicate: true, message: { seq: 2 } });
      expect(await other.head(conv)).toBe(3);
      expect((await other.read(conv, { after: 0, limit: 10 })).map((m) => m.clientMsgId)).toEqual(["dead-1", "dead-2", "live-3"]);
    } finally {
      await other.close();
    }
  }, 60_000);

  test("a user who leaves and rejoins still gets fresh lastSeq bumps", async () => {
    const [alice, bob] = [userId(), userId()];
    const conv = await createGroup(store, alice, [bob]);
    await store.append(msg(conv, alice, "1", { notify: [alice, bob] }));
    await store.removeMembers(conv, [bob]);
    expect((await store.listUserConversations(bob)).map((c) => c.convId)).not.toContain(conv);
    await store.addMembers(conv, [bob]);
    await store.append(msg(conv, alice, "2", { notify: [alice, bob] }));
    expect((await store.listUserConversations(bob)).find((c) => c.convId === conv)?.lastSeq).toBe(2);
  }, 60_000);
});

// Keep the type import used (Store is the contract the factory returns).
export type { Store };
