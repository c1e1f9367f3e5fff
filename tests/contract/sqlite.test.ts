/** The store contract suite against the embedded SqliteStore (a temp dir per run). */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/index.ts";
import { runStoreContract } from "./store.contract.ts";

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
