import { describe, expect, test } from "bun:test";
import { MagpieError } from "../../src/core/errors.ts";
import type { NodeInfoT } from "../../src/registry/schemas.ts";
import { RegistryState } from "../../src/registry/state.ts";

const node = (nodeId: string, over: Partial<NodeInfoT> = {}): NodeInfoT => ({
  nodeId, role: "bridge", version: "1", publicUrl: `ws://${nodeId}/ws`, internalUrl: `http://${nodeId}`,
  region: "r1", zone: "z1", capacity: 100, load: { connections: 0, msgsPerSec: 0 }, ...over,
});
const c = (userId: string, deviceId = "d1") => ({ userId, deviceId });

describe("RegistryState", () => {
  test("register indexes clients; lookup answers only routed users", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1"), clients: [c("alice"), c("alice", "d2"), c("bob")], seq: 1 }, 0);
    s.register({ node: node("b2"), clients: [c("alice", "d3")] }, 0);
    const r = s.lookup(["alice", "bob", "carol"], 10);
    expect(r.alice).toEqual([{ bridgeId: "b1", deviceId: "d1" }, { bridgeId: "b1", deviceId: "d2" }, { bridgeId: "b2", deviceId: "d3" }]);
    expect(r.bob).toEqual([{ bridgeId: "b1", deviceId: "d1" }]);
    expect("carol" in r).toBe(false);
    expect(s.list(10, "bridge").map((n) => n.clientCount)).toEqual([3, 1]);
  });

  test("__proto__ as a user id is an ordinary key", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1"), clients: [c("__proto__")] }, 0);
    const r = s.lookup(["__proto__"], 0);
    expect(JSON.parse(JSON.stringify({ routes: r })).routes.__proto__).toEqual([{ bridgeId: "b1", deviceId: "d1" }]);
  });

  test("deltas apply in sequence; a gap asks for a snapshot and applies nothing", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1"), clients: [c("a")], seq: 5 }, 0);
    expect(s.heartbeat({ node: node("b1"), clients: { seq: 6, added: [c("b")], removed: [c("a")] } }, 1).wantSnapshot).toBe(false);
    expect(Object.keys(s.lookup(["a", "b"], 1))).toEqual(["b"]);
    expect(s.heartbeat({ node: node("b1"), clients: { seq: 8, added: [c("x")] } }, 2).wantSnapshot).toBe(true);
    expect(s.heartbeat({ node: node("b1"), clients: { seq: 6, added: [c("x")] } }, 2).wantSnapshot).toBe(true);
    expect(Object.keys(s.lookup(["x"], 2))).toEqual([]);
    // A full list replaces everything and resets the sequence.
    expect(s.heartbeat({ node: node("b1"), clients: { seq: 20, full: [c("y"), c("z")] } }, 3).wantSnapshot).toBe(false);
    expect(Object.keys(s.lookup(["b", "y", "z"], 3)).sort()).toEqual(["y", "z"]);
    expect(s.heartbeat({ node: node("b1"), clients: { seq: 21, removed: [c("y"), c("nope")] } }, 4).wantSnapshot).toBe(false);
    expect(s.list(4)[0]!.clientCount).toBe(1);
    expect(s.routedUsers).toBe(1);
  });

  test("register without seq: first delta asks for a snapshot", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1"), clients: [] }, 0);
    expect(s.heartbeat({ node: node("b1"), clients: { seq: 1, added: [c("a")] } }, 1).wantSnapshot).toBe(true);
  });

  test("heartbeat from unknown or expired node → unknown_node; expired routes vanish", () => {
    const s = new RegistryState(1000);
    expect(() => s.heartbeat({ node: node("b1") }, 0)).toThrow(MagpieError);
    s.register({ node: node("b1"), clients: [c("a")] }, 0);
    expect(Object.keys(s.lookup(["a"], 999))).toEqual(["a"]);
    expect(Object.keys(s.lookup(["a"], 1000))).toEqual([]);
    expect(s.list(1000)).toEqual([]);
    try {
      s.heartbeat({ node: node("b1") }, 1000);
      throw new Error("no throw");
    } catch (e) {
      expect((e as MagpieError).code).toBe("unknown_node");
    }
    expect(s.routedUsers).toBe(0);
  });

  test("sweep removes only expired nodes with their routes", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1"), clients: [c("a")] }, 0);
    s.register({ node: node("b2"), clients: [c("a", "d2")] }, 500);
    expect(s.sweep(1200).map((n) => n.nodeId)).toEqual(["b1"]);
    expect(s.lookup(["a"], 1200).a).toEqual([{ bridgeId: "b2", deviceId: "d2" }]);
  });

  test("drain survives re-register while live; node-reported draining counts", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1") }, 0);
    expect(s.drain("b1", 1)).toBe(true);
    expect(s.drain("nope", 1)).toBe(false);
    expect(s.heartbeat({ node: node("b1") }, 2).draining).toBe(true);
    expect(s.register({ node: node("b1") }, 3).draining).toBe(true);
    s.register({ node: node("b2", { draining: true }) }, 3);
    expect(s.candidates(3).every((b) => b.draining)).toBe(true);
  });

  test("handlers never create routes; role change needs re-register", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("h1", { role: "handler" }), clients: [c("a")], linkedBridges: ["b1"] }, 0);
    expect(s.routedUsers).toBe(0);
    expect(s.list(0, "handler")[0]!.linkedBridges).toEqual(["b1"]);
    expect(() => s.heartbeat({ node: node("h1") }, 1)).toThrow();
  });

  test("selections count as pending load until the next report", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1", { load: { connections: 3, msgsPerSec: 1 } }) }, 0);
    s.noteSelected("b1");
    s.noteSelected("b1");
    expect(s.candidates(0)[0]!.connections).toBe(5);
    s.heartbeat({ node: node("b1", { load: { connections: 4, msgsPerSec: 1 } }) }, 1);
    expect(s.candidates(1)[0]!.connections).toBe(4);
  });

  test("summary counts roles, drains and load", () => {
    const s = new RegistryState(1000);
    s.register({ node: node("b1", { load: { connections: 3, msgsPerSec: 2 } }), clients: [c("a")] }, 0);
    s.register({ node: node("b2", { load: { connections: 4, msgsPerSec: 1 } }) }, 0);
    s.register({ node: node("h1", { role: "handler", load: { connections: 0, msgsPerSec: 10 } }) }, 0);
    s.drain("b2", 0);
    const sum = s.summary("r", 0);
    expect(sum.nodes).toEqual({ bridge: { live: 2, draining: 1 }, handler: { live: 1, draining: 0 } });
    expect(sum.totalConnections).toBe(7);
    expect(sum.totalMsgsPerSec).toBe(13);
    expect(sum.routedUsers).toBe(1);
    expect(sum.bridges.length).toBe(2);
  });
});
