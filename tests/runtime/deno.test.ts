/**
 * Edge-native: the same code on Deno. A registry and a bridge run on Deno (the bridge is what
 * runs at edge PoPs), a handler on Bun, and the client SDK runs on Deno; a Bun client chats
 * with the Deno client through the Deno bridge.
 */
import { afterAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { signUserToken } from "../../src/auth/jwt.ts";
import { MagpieClient } from "../../src/client/index.ts";
import type { Message } from "../../src/core/types.ts";
import { FAST, nodeIdOf, startRole, waitUntil, type RoleProc } from "../helpers/cluster.ts";

const ROOT = resolve(import.meta.dir, "../..");
const procs: RoleProc[] = [];
let bob: MagpieClient | undefined;

afterAll(async () => {
  await bob?.close().catch(() => {});
  await Promise.all(procs.map((p) => p.stop("SIGKILL")));
});

test("registry and bridge on Deno, SDK on Deno: a message each way through the Deno bridge", async () => {
  const registry = await startRole("registry", { ...FAST }, 60_000, "deno");
  procs.push(registry);
  const nodeEnv = { ...FAST, MAGPIE_REGISTRIES: registry.url, MAGPIE_STORE: "sqlite", MAGPIE_SQLITE_PATH: join(mkdtempSync(join(tmpdir(), "magpie-deno-")), "db.sqlite") };
  const handler = await startRole("handler", nodeEnv);
  procs.push(handler);
  const bridge = await startRole("bridge", nodeEnv, 60_000, "deno");
  procs.push(bridge);
  await waitUntil(() => bridge.logs.some((l) => l.includes('"linked to handler"')), 20_000, "deno bridge linked to the handler");
  const selected = await (await fetch(`${registry.url}/v1/bridges/select?user=bob`)).json() as { bridge: { nodeId: string } };
  expect(selected.bridge.nodeId).toBe(nodeIdOf(bridge));

  bob = new MagpieClient({ registries: [registry.url], userId: "bob", rateLimit: false, token: () => signUserToken("dev-jwt-secret", "bob", "bun") });
  const got: Message[] = [];
  bob.on("message", (m: Message) => got.push(m));
  await bob.connect();

  const lines: Record<string, unknown>[] = [];
  const deno = spawn(join(ROOT, "node_modules/.bin/deno"), ["run", "-A", "--quiet", join(ROOT, "tests/fixtures/deno_client.ts")], {
    cwd: ROOT, env: { ...process.env, USER_ID: "alice", PEER: "bob", SAY: "你好 from Deno", REGISTRIES: registry.url }, stdio: ["ignore", "pipe", "pipe"],
  });
  let errText = "";
  deno.stderr.on("data", (d: Buffer) => (errText += d.toString()));
  let buf = "";
  deno.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  try {
    await waitUntil(() => lines.some((l) => l.event === "ack"), 30_000, `the Deno client's ack (stderr: ${errText.slice(-500)})`);
    expect(lines.find((l) => l.event === "ready")).toMatchObject({ runtime: "deno", bridge: nodeIdOf(bridge) });
    await waitUntil(() => got.some((m) => m.senderId === "alice"), 10_000, "bob receives the Deno client's message");
    expect(got.find((m) => m.senderId === "alice")?.body).toBe("你好 from Deno");
    await bob.sendDirect("alice", "hello back from Bun");
    await waitUntil(() => lines.some((l) => l.event === "done"), 10_000, "the Deno client receives the answer");
    expect(lines.find((l) => l.event === "message" && l.from === "bob")).toMatchObject({ body: "hello back from Bun" });
  } finally {
    deno.kill("SIGKILL");
  }
}, 90_000);
