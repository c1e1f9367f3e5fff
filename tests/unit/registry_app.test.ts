import { describe, expect, test } from "bun:test";
import { createRegistryApp } from "../../routes/registry/index.ts";
import { silentLogger } from "../../src/core/log.ts";
import type { RegistrySettings } from "../../src/registry/deps.ts";
import type { NodeInfoT } from "../../src/registry/schemas.ts";
import { RegistryState } from "../../src/registry/state.ts";

const CLUSTER = "cluster-s3cret";
const ADMIN = "admin-t0ken";
function setup(over: Partial<RegistrySettings> = {}) {
  let t = 1_000_000;
  const state = new RegistryState(1000);
  const app = createRegistryApp({
    state, log: silentLogger, now: () => t, clientAddress: (c) => c.req.header("x-test-ip") ?? "ip",
    settings: {
      registryId: "r1", clusterSecret: CLUSTER, adminToken: ADMIN, expiryMs: 1000, defaultStrategy: "least-connections",
      regionPreference: new Map([["eu", ["us"]]]), selectRate: 1000, selectBurst: 1000, trustProxy: false, ...over,
    },
  });
  const req = (method: string, path: string, body?: unknown, token: string | null = CLUSTER, headers: Record<string, string> = {}) =>
    app.request(path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return { app, state, req, advance: (ms: number) => (t += ms) };
}
const node = (nodeId: string, over: Partial<NodeInfoT> = {}): NodeInfoT => ({
  nodeId, role: "bridge", version: "1", publicUrl: `ws://127.0.0.1:1/${nodeId}`, internalUrl: "http://127.0.0.1:1",
  region: "eu", zone: "a", capacity: 10, load: { connections: 0, msgsPerSec: 0 }, ...over,
});
const errCode = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

describe("registry routes", () => {
  test("register → heartbeat → lookup → deregister", async () => {
    const { req } = setup();
    let r = await req("POST", "/v1/nodes/register", { node: node("b1"), clients: [{ userId: "u1", deviceId: "d1" }], seq: 1 });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ok: true, expiresInMs: 1000, draining: false });
    r = await req("POST", "/v1/nodes/heartbeat", { node: node("b1"), clients: { seq: 2, added: [{ userId: "u2", deviceId: "d1" }] } });
    expect(await r.json()).toEqual({ ok: true, expiresInMs: 1000, draining: false, wantSnapshot: false });
    r = await req("POST", "/v1/routes/lookup", { users: ["u1", "u2", "u3"] });
    expect(await r.json()).toEqual({ routes: { u1: [{ bridgeId: "b1", deviceId: "d1" }], u2: [{ bridgeId: "b1", deviceId: "d1" }] } });
    r = await req("GET", "/v1/nodes?role=bridge");
    expect(((await r.json()) as { nodes: unknown[] }).nodes.length).toBe(1);
    expect((await req("DELETE", "/v1/nodes/b1")).status).toBe(200);
    expect(await errCode(await req("POST", "/v1/nodes/heartbeat", { node: node("b1") }))).toBe("unknown_node");
  });

  test("secrets: missing → 401, wrong → 403, admin needs the admin token", async () => {
    const { req } = setup();
    let r = await req("POST", "/v1/nodes/register", { node: node("b1") }, null);
    expect([r.status, await errCode(r)]).toEqual([401, "unauthenticated"]);
    r = await req("POST", "/v1/nodes/register", { node: node("b1") }, "nope");
    expect([r.status, await errCode(r)]).toEqual([403, "forbidden"]);
    expect((await req("POST", "/v1/nodes/register", { node: node("b1") }, ADMIN)).status).toBe(403);
    expect((await req("GET", "/v1/admin/summary", undefined, CLUSTER)).status).toBe(403);
    expect((await req("GET", "/v1/admin/summary", undefined, null)).status).toBe(401);
    expect((await req("GET", "/v1/admin/summary", undefined, ADMIN)).status).toBe(200);
    expect((await req("GET", "/v1/nodes", undefined, ADMIN)).status).toBe(200);
    expect((await req("POST", "/v1/routes/lookup", { users: [] }, ADMIN)).status).toBe(403);
    expect((await req("GET", "/v1/bridges/select", undefined, null)).status).toBe(503);
  });

  test("bad input: malformed, invalid, oversized; state untouched", async () => {
    const { req, state } = setup();
    await req("POST", "/v1/nodes/register", { node: node("b1"), clients: [{ userId: "u1", deviceId: "d1" }], seq: 1 });
    let r = await req("POST", "/v1/nodes/heartbeat", "{not json");
    expect([r.status, await errCode(r)]).toEqual([400, "bad_request"]);
    r = await req("POST", "/v1/nodes/heartbeat", { node: { ...node("b1"), capacity: -1 }, clients: { seq: 2, removed: [{ userId: "u1", deviceId: "d1" }] } });
    expect([r.status, await errCode(r)]).toEqual([400, "bad_request"]);
    r = await req("POST", "/v1/nodes/heartbeat", { node: node("b1"), clients: { seq: 2, removed: [{ userId: "u1", deviceId: "d1" }], added: [{ userId: "bad id!", deviceId: "x" }] } });
    expect(r.status).toBe(400);
    r = await req("POST", "/v1/routes/lookup", { users: Array.from({ length: 10_001 }, (_, i) => `u${i}`) });
    expect([r.status, await errCode(r)]).toEqual([413, "payload_too_large"]);
    r = await req("POST", "/v1/nodes/register", "x".repeat(9 * 1024 * 1024));
    expect([r.status, await errCode(r)]).toEqual([413, "payload_too_large"]);
    r = await req("DELETE", "/v1/nodes/bad%20id");
    expect(r.status).toBe(400);
    expect(state.lookup(["u1"], 1_000_000).u1).toEqual([{ bridgeId: "b1", deviceId: "d1" }]);
    r = await req("POST", "/v1/nodes/heartbeat", { node: node("b1"), clients: { seq: 2, removed: [{ userId: "u1", deviceId: "d1" }] } });
    expect(((await r.json()) as { wantSnapshot: boolean }).wantSnapshot).toBe(false);
  });

  test("expired node heartbeat → 404 unknown_node", async () => {
    const { req, advance } = setup();
    await req("POST", "/v1/nodes/register", { node: node("b1") });
    advance(1000);
    const r = await req("POST", "/v1/nodes/heartbeat", { node: node("b1") });
    expect([r.status, await errCode(r)]).toEqual([404, "unknown_node"]);
  });

  test("selection: strategies, unknown strategy, none available, draining excluded", async () => {
    const { req } = setup();
    let r = await req("GET", "/v1/bridges/select?strategy=round-robin", undefined, null);
    expect([r.status, await errCode(r)]).toEqual([503, "no_bridge_available"]);
    r = await req("GET", "/v1/bridges/select?strategy=bogus", undefined, null);
    expect([r.status, await errCode(r)]).toEqual([400, "unknown_strategy"]);
    for (const id of ["b1", "b2", "b3"]) await req("POST", "/v1/nodes/register", { node: node(id, { region: id === "b3" ? "us" : "eu" }) });
    await req("POST", "/v1/admin/nodes/b2/drain", undefined, ADMIN);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      r = await req("GET", "/v1/bridges/select?strategy=round-robin", undefined, null);
      const j = (await r.json()) as { bridge: { nodeId: string; publicUrl: string }; strategy: string };
      expect(j.strategy).toBe("round-robin");
      seen.add(j.bridge.nodeId);
    }
    expect([...seen].sort()).toEqual(["b1", "b3"]);
    r = await req("GET", "/v1/bridges/select?strategy=region&region=us", undefined, null);
    expect(((await r.json()) as { bridge: { nodeId: string } }).bridge.nodeId).toBe("b3");
    r = await req("GET", "/v1/bridges/select", undefined, null);
    expect(((await r.json()) as { strategy: string }).strategy).toBe("least-connections");
    r = await req("POST", "/v1/nodes/heartbeat", { node: node("b2") });
    expect(((await r.json()) as { draining: boolean }).draining).toBe(true);
  });

  test("selection is rate limited per address", async () => {
    const { req } = setup({ selectRate: 1, selectBurst: 3 });
    await req("POST", "/v1/nodes/register", { node: node("b1") });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await req("GET", "/v1/bridges/select", undefined, null, { "x-test-ip": "1.1.1.1" })).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    expect((await req("GET", "/v1/bridges/select", undefined, null, { "x-test-ip": "2.2.2.2" })).status).toBe(200);
  });

  test("admin: nodes, drain, delete, summary; unknown node 404", async () => {
    const { req } = setup();
    await req("POST", "/v1/nodes/register", { node: node("b1", { load: { connections: 4, msgsPerSec: 2 } }) });
    await req("POST", "/v1/nodes/register", { node: node("h1", { role: "handler", publicUrl: undefined }), linkedBridges: ["b1"] });
    expect(((await (await req("GET", "/v1/admin/nodes", undefined, ADMIN)).json()) as { nodes: unknown[] }).nodes.length).toBe(2);
    const sum = (await (await req("GET", "/v1/admin/summary", undefined, ADMIN)).json()) as { totalConnections: number; nodes: unknown };
    expect(sum.totalConnections).toBe(4);
    expect(sum.nodes).toEqual({ bridge: { live: 1, draining: 0 }, handler: { live: 1, draining: 0 } });
    expect((await req("POST", "/v1/admin/nodes/zz/drain", undefined, ADMIN)).status).toBe(404);
    expect((await req("DELETE", "/v1/admin/nodes/h1", undefined, ADMIN)).status).toBe(200);
    expect((await req("DELETE", "/v1/admin/nodes/h1", undefined, ADMIN)).status).toBe(404);
  });

  test("health, readiness and the OpenAPI document", async () => {
    const { req } = setup();
    expect((await req("GET", "/healthz", undefined, null)).status).toBe(200);
    expect((await req("GET", "/readyz", undefined, null)).status).toBe(200);
    const doc = (await (await req("GET", "/openapi.json", undefined, null)).json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/v1/bridges/select");
    const reg = doc.paths["/v1/nodes/register"]!.post!.requestBody!.content["application/json"]!.schema;
    expect(Object.keys(reg.properties)).toEqual(expect.arrayContaining(["node", "clients", "linkedBridges"]));
  });
});
