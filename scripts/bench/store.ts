/**
 * Store benchmark: write throughput (appends/s over N conversations with W concurrent appenders
 * each, so group commit is in effect) and read throughput (messages/s paging forward by 100).
 *
 *   bun scripts/bench/store.ts --store cassandra [--convs 16] [--writers 8] [--messages 500]
 *   bun scripts/bench/store.ts --store sqlite [--path /tmp/x.sqlite]
 *
 * Cassandra: MAGPIE_CASSANDRA_CONTACT_POINTS / _DC / _CONSISTENCY apply; a scratch keyspace
 * magpie_bench_<random> is created and dropped. Prints one JSON line of results at the end.
 */
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomId } from "../../src/core/ids.ts";
import type { Store } from "../../src/core/store.ts";

const { values: args } = parseArgs({
  options: {
    store: { type: "string", default: "cassandra" },
    convs: { type: "string", default: "16" },
    writers: { type: "string", default: "8" },
    messages: { type: "string", default: "500" },
    body: { type: "string", default: "120" },
    path: { type: "string" },
  },
});
const CONVS = Number(args.convs);
const WRITERS = Number(args.writers);
const PER_CONV = Number(args.messages);
const BODY = "消息".repeat(Math.ceil(Number(args.body) / 6)).slice(0, Math.max(1, Math.floor(Number(args.body) / 3)));
const run = randomId(6).toLowerCase();

async function openStore(): Promise<{ store: Store; cleanup(): Promise<void> }> {
  if (args.store === "cassandra") {
    const { openCassandraStore } = await import("../../src/store/cassandra/index.ts");
    const cassandra = (await import("cassandra-driver")).default;
    const contactPoints = (process.env.MAGPIE_CASSANDRA_CONTACT_POINTS ?? "127.0.0.1:9042").split(",");
    const localDataCenter = process.env.MAGPIE_CASSANDRA_DC ?? "datacenter1";
    const keyspace = `magpie_bench_${run}`;
    const store = await openCassandraStore({
      contactPoints, localDataCenter, keyspace, replication: 1,
      consistency: process.env.MAGPIE_CASSANDRA_CONSISTENCY ?? "LOCAL_QUORUM", ttlSeconds: 0,
    });
    return {
      store,
      async cleanup() {
        const admin = new cassandra.Client({ contactPoints, localDataCenter });
        await admin.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`);
        await admin.shutdown();
      },
    };
  }
  if (args.store === "sqlite") {
    const { openSqliteStore } = await import("../../src/store/sqlite/index.ts");
    const dir = args.path ? null : mkdtempSync(join(tmpdir(), "magpie-bench-"));
    const store = await openSqliteStore({ path: args.path ?? join(dir!, "bench.sqlite"), ttlSeconds: 0 });
    return { store, async cleanup() { if (dir) rmSync(dir, { recursive: true, force: true }); } };
  }
  throw new Error(`--store must be cassandra or sqlite, not ${args.store}`);
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! * 100) / 100 : 0;
}

const { store, cleanup } = await openStore();
try {
  const owner = `bench-${run}`;
  const convs: string[] = [];
  for (let c = 0; c < CONVS; c++) {
    const conv = await store.createConversation({ id: `g:bench-${run}-${c}`, kind: "group", title: "bench", createdBy: owner, members: [owner] });
    convs.push(conv.id);
  }
  // Warm-up (prepares statements, fills head caches).
  await Promise.all(convs.map((conv, c) =>
    store.append({ convId: conv, senderId: owner, senderDevice: "d", clientMsgId: `w-${c}`, body: "warm", notify: [owner] })));

  const lat: number[] = [];
  const statsBefore = { ...((store as { stats?: { batches: number; messages: number; conflicts: number } }).stats ?? { batches: 0, messages: 0, conflicts: 0 }) };
  const t0 = performance.now();
  await Promise.all(convs.flatMap((conv, c) => Array.from({ length: WRITERS }, async (_, w) => {
    for (let i = w; i < PER_CONV; i += WRITERS) {
      const s = performance.now();
      await store.append({ convId: conv, senderId: `${owner}-${w}`, senderDevice: "d", clientMsgId: `m-${c}-${i}`, body: `${BODY} ${i}`, notify: [owner] });
      lat.push(performance.now() - s);
    }
  })));
  const writeMs = performance.now() - t0;
  const stats = (store as { stats?: { batches: number; messages: number; conflicts: number } }).stats;
  const total = CONVS * PER_CONV;
  lat.sort((a, b) => a - b);

  // Reads: every conversation paged forward by 100, conversations in parallel.
  const r0 = performance.now();
  let read = 0;
  await Promise.all(convs.map(async (conv) => {
    for (let cursor = 0; ;) {
      const page = await store.read(conv, { after: cursor, limit: 100 });
      if (page.length === 0) break;
      read += page.length;
      cursor = page.at(-1)!.seq;
    }
  }));
  const readMs = performance.now() - r0;

  const result = {
    store: store.kind, convs: CONVS, writersPerConv: WRITERS, messages: total, bodyBytes: new TextEncoder().encode(`${BODY} 0`).length,
    appendsPerSec: Math.round(total / (writeMs / 1000)),
    appendLatencyMs: { p50: pct(lat, 0.5), p99: pct(lat, 0.99), max: pct(lat, 1) },
    lwtBatches: stats ? stats.batches - statsBefore.batches : undefined,
    avgBatch: stats ? Math.round(((stats.messages - statsBefore.messages) / Math.max(1, stats.batches - statsBefore.batches)) * 10) / 10 : undefined,
    casConflicts: stats ? stats.conflicts - statsBefore.conflicts : undefined,
    readMessagesPerSec: Math.round(read / (readMs / 1000)),
    readMessages: read,
  };
  console.log(JSON.stringify(result));
} finally {
  await store.close();
  await cleanup();
}
