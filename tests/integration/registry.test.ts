/**
 * Registry integration: real registry processes and fake bridge/handler processes (running the
 * real registration client) on loopback. Heartbeat 200 ms, expiry 1000 ms, snapshot 1000 ms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { RegistryClient } from "../../src/registry/client.ts";

const BUN = "node_modules/.bin/bun";
const SECRET = "it-cluster-secret";
const ADMIN = "it-admin-token";
const HB = 200;
const EXPIRY = 1000;
const SNAPSHOT = 1000;
const procs = new Set<ChildProcess>();

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function track(p: ChildProcess): ChildProcess {
  procs.add(p);
  p.once("exit", () => procs.delete(p));
  return p;
}

/** Starts a registry on `port` and resolves once it logged its listening line. */
async function startRegistry(port: number, id: string): Promise<ChildProcess> {
  const p = track(spawn(BUN, ["run", "src/roles/registry.ts"], {
    env: {
      ...process.env, MAGPIE_PORT: String(port), MAGPIE_NODE_ID: id, MAGPIE_CLUSTER_SECRET: SECRET, MAGPIE_ADMIN_TOKEN: ADMIN,
      MAGPIE_HEARTBEAT_MS: String(HB), MAGPIE_EXPIRY_MS: String(EXPIRY), MAGPIE_SWEEP_MS: "100", MAGPIE_WARMUP_MS: "0",
      MAGPIE_REGISTRY_STRATEGY: "least-connections", MAGPIE_REGION_PREFERENCE: "eu-central=eu-west;ap-south=us-east",
      MAGPIE_SELECT_RATE: "100000", MAGPIE_SELECT_BURST: "100000", MAGPIE_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "ignore", "pipe"],
  }));
  await new Promise<void>((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error(`registry ${id} did not start: ${buf}`)), 15_000);
    p.stderr!.on("data", (d) => {
      buf += d.toString();
      for (const line of buf.split("\n")) {
        try {
          const j = JSON.parse(line) as { msg?: string; port?: number };
          if (j.msg === "listening" && j.port === port) {
            clearTimeout(t);
            resolve();
          }
        } catch { /* partial line */ }
      }
    });
    p.once("exit", (code) => reject(new Error(`registry ${id} exited ${code}: ${buf}`)));
  });
  return p;
}

interface FakeNode { proc: ChildProcess; events: string[]; send(cmd: object): void }
function startNode(env: Record<string, string>): FakeNode {
  const proc = track(spawn(BUN, ["run", "tests/fixtures/fake_node.ts"], {
    env: { ...process.env, SECRET, HEARTBEAT_MS: String(HB), SNAPSHOT_MS: String(SNAPSHOT), REGISTRIES: regUrls.join(","), ...env },
    stdio: ["pipe", "pipe", "inherit"],
  }));
  const events: string[] = [];
  proc.stdout!.on("data", (d) => {
    for (const line of d.toString().split("\n").filter(Boolean)) events.push((JSON.parse(line) as { event: string }).event);
  });
  return { proc, events, send: (cmd) => proc.stdin!.write(`${JSON.stringify(cmd)}\n`) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what} ${last ? String(last) : ""}`);
}

async function api(base: string, method: string, path: string, body?: unknown, token: string | null = SECRET, raw?: string) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined || raw !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + path, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  return { status: res.status, json: (await res.json()) as any };
}
const nodeIds = async (base: string) => ((await api(base, "GET", "/v1/nodes")).json.nodes as { nodeId: string }[]).map((n) => n.nodeId).join(",");
const select = async (base: string, qs: string) => (await api(base, "GET", `/v1/bridges/select?${qs}`, undefined, null)).json.bridge?.nodeId as string;

let regPorts: number[] = [];
let regUrls: string[] = [];
const regProcs: ChildProcess[] = [];
const nodes: Record<string, FakeNode> = {};
const ALL = "b1,b2,b3,b4,h1,h2";

beforeAll(async () => {
  regPorts = [await freePort(), await freePort(), await freePort()];
  regUrls = regPorts.map((p) => `http://127.0.0.1:${p}`);
  regProcs.push(...(await Promise.all(regPorts.map((p, i) => startRegistry(p, `reg${i + 1}`)))));
  nodes.b1 = startNode({ NODE_ID: "b1", REGION: "eu-west", CLIENTS: "gen:50", CONNECTIONS: "10" });
  nodes.b2 = startNode({ NODE_ID: "b2", REGION: "eu-west", CLIENTS: "gen:50,alice:phone", CONNECTIONS: "0" });
  nodes.b3 = startNode({ NODE_ID: "b3", REGION: "us-east", CLIENTS: "gen:50", CONNECTIONS: "5" });
  // Overloaded: never selected.
  nodes.b4 = startNode({ NODE_ID: "b4", REGION: "eu-west", CAPACITY: "100", CONNECTIONS: "100" });
  nodes.h1 = startNode({ NODE_ID: "h1", ROLE: "handler", LINKED: "b1,b2" });
  nodes.h2 = startNode({ NODE_ID: "h2", ROLE: "handler", LINKED: "b3" });
  for (const u of regUrls) await until(`all nodes on ${u}`, async () => (await nodeIds(u)) === ALL, 15_000);
}, 60_000);

afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await sleep(100);
});

describe("registry cluster (real processes)", () => {
  test("every registry holds the same view, and a change reaches all within about one heartbeat", async () => {
    const views = await Promise.all(regUrls.map(async (u) => {
      const r = await api(u, "POST", "/v1/routes/lookup", { users: ["b1-u0", "b2-u49", "b3-u7", "nobody"] });
      return JSON.stringify(r.json);
    }));
    expect(new Set(views).size).toBe(1);
    expect(JSON.parse(views[0]!).routes["b2-u49"]).toEqual([{ bridgeId: "b2", deviceId: "d1" }]);
    nodes.b1!.send({ op: "add", userId: "alice", deviceId: "laptop" });
    nodes.b2!.send({ op: "remove", userId: "alice", deviceId: "phone" });
    const started = Date.now();
    for (const u of regUrls) {
      await until(`alice moved on ${u}`, async () => {
        const r = await api(u, "POST", "/v1/routes/lookup", { users: ["alice"] });
        return JSON.stringify(r.json.routes.alice) === JSON.stringify([{ bridgeId: "b1", deviceId: "laptop" }]);
      });
    }
    // Informational (no timing assertion): how long propagation took.
    console.error(`[registry it] delta reached 3 registries in ${Date.now() - started} ms (heartbeat ${HB} ms)`);
    const handlers = (await api(regUrls[2]!, "GET", "/v1/nodes?role=handler")).json.nodes as { nodeId: string; linkedBridges: string[] }[];
    expect(handlers.map((h) => [h.nodeId, h.linkedBridges])).toEqual([["h1", ["b1", "b2"]], ["h2", ["b3"]]]);
  });

  test("secrets are enforced", async () => {
    const u = regUrls[0]!;
    const body = { node: { nodeId: "evil", role: "bridge", version: "1", publicUrl: "ws://evil/ws", internalUrl: "http://evil", region: "eu-west", zone: "a", capacity: 9, load: { connections: 0, msgsPerSec: 0 } } };
    expect((await api(u, "POST", "/v1/nodes/register", body, null)).status).toBe(401);
    expect((await api(u, "POST", "/v1/nodes/register", body, "wrong")).json.error.code).toBe("forbidden");
    expect((await api(u, "POST", "/v1/nodes/register", body, ADMIN)).status).toBe(403);
    expect((await api(u, "POST", "/v1/routes/lookup", { users: ["alice"] }, null)).status).toBe(401);
    expect((await api(u, "GET", "/v1/nodes", undefined, null)).status).toBe(401);
    expect((await api(u, "GET", "/v1/admin/summary", undefined, SECRET)).status).toBe(403);
    expect((await api(u, "POST", "/v1/admin/nodes/b1/drain", undefined, null)).status).toBe(401);
    const sum = await api(u, "GET", "/v1/admin/summary", undefined, ADMIN);
    expect(sum.status).toBe(200);
    expect(sum.json.nodes).toEqual({ bridge: { live: 4, draining: 0 }, handler: { live: 2, draining: 0 } });
    expect(sum.json.totalConnections).toBe(115);
    expect(await nodeIds(u)).toBe(ALL);
  });

  test("bad input gets documented status and code; state is not corrupted", async () => {
    const u = regUrls[1]!;
    const before = JSON.stringify((await api(u, "POST", "/v1/routes/lookup", { users: ["alice", "b1-u1"] })).json);
    let r = await api(u, "POST", "/v1/nodes/heartbeat", undefined, SECRET, "{\"node\": ");
    expect([r.status, r.json.error.code]).toEqual([400, "bad_request"]);
    r = await api(u, "POST", "/v1/nodes/register", undefined, SECRET, JSON.stringify({ node: { nodeId: "b1" }, pad: "x".repeat(9 * 1024 * 1024) }));
    expect([r.status, r.json.error.code]).toEqual([413, "payload_too_large"]);
    r = await api(u, "POST", "/v1/routes/lookup", { users: Array.from({ length: 10_001 }, (_, i) => `x${i}`) });
    expect([r.status, r.json.error.code]).toEqual([413, "payload_too_large"]);
    r = await api(u, "GET", "/v1/bridges/select?strategy=fastest", undefined, null);
    expect([r.status, r.json.error.code]).toEqual([400, "unknown_strategy"]);
    r = await api(u, "POST", "/v1/nodes/heartbeat", { node: { nodeId: "ghost", role: "bridge", version: "1", internalUrl: "http://g", region: "r", zone: "z", capacity: 1, load: { connections: 0, msgsPerSec: 0 } } });
    expect([r.status, r.json.error.code]).toEqual([404, "unknown_node"]);
    r = await api(u, "POST", "/v1/nodes/heartbeat", { node: { nodeId: "b1", role: "bridge" }, clients: { seq: 1, removed: [{ userId: "b1-u1", deviceId: "d1" }] } });
    expect([r.status, r.json.error.code]).toEqual([400, "bad_request"]);
    expect(JSON.stringify((await api(u, "POST", "/v1/routes/lookup", { users: ["alice", "b1-u1"] })).json)).toBe(before);
    expect(await nodeIds(u)).toBe(ALL);
  });

  test("strategies through the real endpoint give their documented distributions", async () => {
    const u = regUrls[0]!;
    // round-robin: exactly even over the eligible bridges (b4 is overloaded).
    const rr: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const id = await select(u, "strategy=round-robin");
      rr[id] = (rr[id] ?? 0) + 1;
    }
    expect(rr).toEqual({ b1: 100, b2: 100, b3: 100 });
    // random: every eligible bridge, roughly a third each.
    const rnd: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const id = await select(u, "strategy=random");
      rnd[id] = (rnd[id] ?? 0) + 1;
    }
    expect(Object.keys(rnd).sort()).toEqual(["b1", "b2", "b3"]);
    for (const v of Object.values(rnd)) expect(v).toBeGreaterThan(50);
    // consistent-hash: the same user gets the same bridge from every registry; ~even spread.
    const ch: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const picks = await Promise.all(regUrls.map((r) => select(r, `strategy=consistent-hash&user=user${i}`)));
      expect(new Set(picks).size).toBe(1);
      ch[picks[0]!] = (ch[picks[0]!] ?? 0) + 1;
    }
    expect(Object.keys(ch).sort()).toEqual(["b1", "b2", "b3"]);
    for (const v of Object.values(ch)) expect(v).toBeGreaterThan(60);
    // least-connections (default): reported loads b1=10, b2=0, b3=5 → b2 ≥ b3 ≥ b1.
    // Picks count as load until the bridge's next heartbeat, so wait for fresh reports first.
    await sleep(HB * 2);
    const lc: Record<string, number> = { b1: 0, b2: 0, b3: 0 };
    expect(await select(regUrls[2]!, "")).toBe("b2");
    for (let i = 0; i < 30; i++) lc[await select(regUrls[2]!, "")]!++;
    expect(lc.b2!).toBeGreaterThanOrEqual(lc.b3!);
    expect(lc.b2!).toBeGreaterThanOrEqual(lc.b1!);
    expect(lc.b2!).toBeGreaterThanOrEqual(10);
    // region: own region, then preference list, then anything healthy.
    expect(await select(u, "strategy=region&region=us-east")).toBe("b3");
    expect(["b1", "b2"]).toContain(await select(u, "strategy=region&region=eu-central"));
    expect(await select(u, "strategy=region&region=ap-south")).toBe("b3");
    expect(["b1", "b2", "b3"]).toContain(await select(u, "strategy=region&region=mars"));
  });

  test("drain on one registry reaches the bridge and, through it, every registry", async () => {
    const r = await api(regUrls[0]!, "POST", "/v1/admin/nodes/b1/drain", undefined, ADMIN);
    expect(r.status).toBe(200);
    await until("b1 told to drain", async () => nodes.b1!.events.includes("draining"));
    for (const u of regUrls) {
      await until(`b1 draining on ${u}`, async () => {
        const n = ((await api(u, "GET", "/v1/nodes?role=bridge")).json.nodes as { nodeId: string; draining: boolean }[]).find((x) => x.nodeId === "b1");
        return n?.draining === true;
      });
    }
    for (let i = 0; i < 60; i++) expect(await select(regUrls[i % 3]!, `strategy=round-robin`)).not.toBe("b1");
  });

  test("a SIGKILLed node expires on schedule; a SIGTERMed one deregisters at once", async () => {
    nodes.b4!.proc.kill("SIGKILL");
    const killedAt = Date.now();
    await sleep(EXPIRY / 2);
    for (const u of regUrls) expect(await nodeIds(u)).toContain("b4");
    for (const u of regUrls) await until(`b4 expired on ${u}`, async () => !(await nodeIds(u)).includes("b4"), EXPIRY * 3);
    const took = Date.now() - killedAt;
    expect(took).toBeGreaterThanOrEqual(EXPIRY - HB);
    console.error(`[registry it] killed node gone from all registries after ${took} ms (expiry ${EXPIRY} ms)`);

    nodes.h2!.proc.kill("SIGTERM");
    await until("h2 exited", async () => nodes.h2!.proc.exitCode !== null, 5000);
    for (const u of regUrls) expect(await nodeIds(u)).toBe("b1,b2,b3,h1");
  });

  test("killing a registry changes nothing for the nodes or selection through the others", async () => {
    regProcs[0]!.kill("SIGKILL");
    await until("reg1 down", async () => regProcs[0]!.exitCode !== null || regProcs[0]!.signalCode !== null);
    await sleep(EXPIRY * 2);
    for (const u of regUrls.slice(1)) {
      expect(await nodeIds(u)).toBe("b1,b2,b3,h1");
      expect(["b2", "b3"]).toContain(await select(u, "strategy=least-connections"));
    }
    nodes.b3!.send({ op: "add", userId: "bob", deviceId: "tab" });
    for (const u of regUrls.slice(1)) {
      await until(`bob on ${u}`, async () => (await api(u, "POST", "/v1/routes/lookup", { users: ["bob"] })).json.routes.bob?.length === 1);
    }
    const rc = new RegistryClient({ registries: regUrls, token: SECRET, timeoutMs: 1000 });
    expect((await rc.lookupRoutes(["bob"])).bob).toEqual([{ bridgeId: "b3", deviceId: "tab" }]);
    expect(["b2", "b3"]).toContain((await rc.selectBridge({ user: "bob", strategy: "consistent-hash" })).bridge.nodeId);
  });

  test("a restarted (empty) registry converges within one snapshot period", async () => {
    regProcs[0] = await startRegistry(regPorts[0]!, "reg1b");
    const started = Date.now();
    const u = regUrls[0]!;
    await until("reg1 converged", async () => {
      if ((await nodeIds(u)) !== "b1,b2,b3,h1") return false;
      const a = (await api(u, "POST", "/v1/routes/lookup", { users: ["alice", "bob", "b2-u3"] })).json;
      const b = (await api(regUrls[1]!, "POST", "/v1/routes/lookup", { users: ["alice", "bob", "b2-u3"] })).json;
      return JSON.stringify(a) === JSON.stringify(b) && Object.keys(a.routes).length === 3;
    }, SNAPSHOT + 3000);
    console.error(`[registry it] restarted registry converged in ${Date.now() - started} ms (snapshot period ${SNAPSHOT} ms)`);
    const n = ((await api(u, "GET", "/v1/nodes?role=bridge")).json.nodes as { nodeId: string; draining: boolean; clientCount: number }[]);
    expect(n.find((x) => x.nodeId === "b1")?.draining).toBe(true);
    expect(n.find((x) => x.nodeId === "b2")?.clientCount).toBe(50);
  });
});
