import { describe, expect, test } from "bun:test";
import { createRegistryApp } from "../../routes/registry/index.ts";
import { silentLogger } from "../../src/core/log.ts";
import { createRegistrationClient } from "../../src/registry/node_client.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import type { NodeInfoT } from "../../src/registry/schemas.ts";
import { RegistryState } from "../../src/registry/state.ts";

function registry() {
  const state = new RegistryState(2000);
  const app = createRegistryApp({
    state, log: silentLogger,
    settings: {
      registryId: "r", clusterSecret: "s", adminToken: "a", expiryMs: 2000, defaultStrategy: "round-robin",
      regionPreference: new Map(), selectRate: 1000, selectBurst: 1000, trustProxy: false,
    },
  });
  return { state, app, down: false };
}
/** A fetch routing `http://rN/...` to in-process registry apps; `down` ones fail like a dead host. */
function router(regs: Record<string, ReturnType<typeof registry>>): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const r = regs[url.host]!;
    if (r.down) throw new TypeError("connection refused");
    return r.app.request(url.pathname + url.search, init);
  }) as typeof fetch;
}
const info = (): NodeInfoT => ({
  nodeId: "b1", role: "bridge", version: "1", publicUrl: "ws://x/ws", internalUrl: "http://x",
  region: "eu", zone: "a", capacity: 10, load: { connections: 0, msgsPerSec: 0 },
});
const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};
const routed = (s: RegistryState, u: string) => (s.lookup([u], Date.now())[u] ?? []).map((r) => r.deviceId).sort();

describe("registration client", () => {
  test("keeps every registry up to date independently, resyncs a restarted one", async () => {
    const regs = { r1: registry(), r2: registry() };
    const nc = createRegistrationClient({
      registries: ["http://r1", "http://r2"], secret: "s", heartbeatMs: 20, snapshotEveryMs: 10_000, node: info,
      log: silentLogger, fetch: router(regs), maxBackoffMs: 40,
    });
    nc.clients.add("alice", "d1");
    nc.start();
    await until(() => routed(regs.r1.state, "alice").length === 1 && routed(regs.r2.state, "alice").length === 1);
    regs.r2.down = true;
    nc.clients.add("alice", "d2");
    nc.clients.add("bob", "d1");
    nc.clients.remove("alice", "d1");
    await until(() => routed(regs.r1.state, "bob").length === 1);
    expect(routed(regs.r1.state, "alice")).toEqual(["d2"]);
    expect(routed(regs.r2.state, "bob")).toEqual([]);
    // r2 "restarts" empty: the client re-registers with a full snapshot.
    regs.r2 = registry();
    const fresh = regs.r2;
    await until(() => routed(fresh.state, "bob").length === 1);
    expect(routed(fresh.state, "alice")).toEqual(["d2"]);
    expect(nc.clients.size).toBe(2);
    await nc.stop();
    expect(regs.r1.state.list(Date.now())).toEqual([]);
    expect(fresh.state.list(Date.now())).toEqual([]);
  });

  test("answers wantSnapshot with a full list and reports draining once", async () => {
    const regs = { r1: registry() };
    const nc = createRegistrationClient({
      registries: ["http://r1"], secret: "s", heartbeatMs: 15, snapshotEveryMs: 10_000, node: info, log: silentLogger, fetch: router(regs),
    });
    let drains = 0;
    nc.onDraining(() => drains++);
    nc.start();
    await until(() => regs.r1.state.list(Date.now()).length === 1);
    // Desynchronise: a registry that lost our sequence (re-registered without seq).
    regs.r1.state.register({ node: info(), clients: [] }, Date.now());
    nc.clients.add("carol", "d9");
    await until(() => routed(regs.r1.state, "carol").length === 1);
    regs.r1.state.drain("b1", Date.now());
    await until(() => nc.draining);
    await new Promise((r) => setTimeout(r, 60));
    expect(drains).toBe(1);
    expect(regs.r1.state.list(Date.now())[0]!.draining).toBe(true);
    await nc.stop();
  });

  test("RegistryClient fails over to the next registry", async () => {
    const regs = { r1: registry(), r2: registry() };
    regs.r2.state.register({ node: info(), clients: [{ userId: "dave", deviceId: "d1" }] }, Date.now());
    regs.r1.down = true;
    const rc = new RegistryClient({ registries: ["http://r1", "http://r2"], token: "s", fetch: router(regs) });
    expect(await rc.lookupRoutes(["dave"])).toEqual({ dave: [{ bridgeId: "b1", deviceId: "d1" }] });
    expect((await rc.listNodes("bridge")).map((n) => n.nodeId)).toEqual(["b1"]);
    expect((await rc.selectBridge({ user: "dave" })).bridge.nodeId).toBe("b1");
    await expect(rc.selectBridge({ strategy: "nope" })).rejects.toMatchObject({ code: "unknown_strategy" });
    regs.r2.down = true;
    await expect(rc.listNodes()).rejects.toMatchObject({ code: "unavailable" });
  });
});
