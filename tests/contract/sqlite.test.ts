/** The store contract suite against the embedded SqliteStore (a temp dir per run). */
import { afterAll, describe, expect, test } from "bun:test";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { openDatabase } from "../../src/runtime/bun/sqlite.ts";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { appendMany, createGroup, msg, range, sleep, userId } from "../helpers/builders.ts";
import { runStoreContract } from "./store.contract.ts";

const execFileAsync = promisify(execFile);

const dir = mkdtempSync(join(tmpdir(), "magpie-sqlite-"));
let n = 0;
let lastPath = "";

afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract("sqlite", {
  async open() {
    lastPath = join(dir, `run-${++n}`, "magpie.sqlite"); // parent dir created by the store
    return openSqliteStore({ path: lastPath, ttlSeconds: 0 });
  },
  async reopen() {
    return openSqliteStore({ path: lastPath, ttlSeconds: 0 });
  },
  async openWithTtl(ttlSeconds) {
    return openSqliteStore({ path: join(dir, `ttl-${++n}`, "magpie.sqlite"), ttlSeconds });
  },
});

describe("sqlite specifics", () => {
  test("writers in several processes on one file get dense, unique seqs", async () => {
    const path = join(dir, "multi", "magpie.sqlite");
    const store = await openSqliteStore({ path, ttlSeconds: 0 });
    const senders = [userId(), userId(), userId()];
    const conv = await createGroup(store, senders[0]!, senders.slice(1));
    const writer = join(import.meta.dir, "..", "helpers", "sqlite-writer.ts");
    const startAt = String(Date.now() + 1500);
    const outputs = await Promise.all(
      senders.map((s) => execFileAsync(process.execPath, [writer, path, conv, s, "200", startAt]).then((r) => JSON.parse(r.stdout) as number[])),
    );
    for (const seqs of outputs) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(outputs.flat().sort((a, b) => a - b)).toEqual(range(1, 600));
    // The children overlapped: at least one did not get one contiguous block of seqs.
    expect(outputs.some((seqs) => seqs.at(-1)! - seqs[0]! + 1 > seqs.length)).toBe(true);
    expect((await store.read(conv, { after: 0, limit: 1000 })).map((m) => m.seq)).toEqual(range(1, 600));
    await store.close();
  }, 60_000);

  test("expired rows are purged from the file, not only filtered", async () => {
    const path = join(dir, "purge", "magpie.sqlite");
    const store = await openSqliteStore({ path, ttlSeconds: 1 });
    const alice = userId();
    const conv = await createGroup(store, alice);
    await appendMany(store, conv, alice, 5);
    await sleep(2100);
    await store.append(msg(conv, alice, "triggers the purge"));
    const raw = openDatabase(path);
    const rows = raw.get<{ n: number }>("SELECT count(*) AS n FROM messages WHERE conv_id = ?", conv)!.n;
    const dedupe = raw.get<{ n: number }>("SELECT count(*) AS n FROM dedupe WHERE sender_id = ?", alice)!.n;
    raw.close();
    expect(rows).toBe(1);
    expect(dedupe).toBe(1);
    await store.close();
  }, 15_000);
});
