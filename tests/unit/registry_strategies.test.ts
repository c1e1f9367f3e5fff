import { describe, expect, test } from "bun:test";
import {
  type Candidate, consistentHash, eligible, parseRegionPreference, select, type SelectContext,
} from "../../src/registry/strategies.ts";

const bridge = (nodeId: string, over: Partial<Candidate> = {}): Candidate => ({
  nodeId, publicUrl: `ws://${nodeId}`, region: "eu-west", zone: "a", capacity: 1000, draining: false, connections: 0, ...over,
});
const ctx = (over: Partial<SelectContext> = {}): SelectContext => ({
  counter: 0, random: Math.random, preference: new Map(), ...over,
});
const users = Array.from({ length: 3000 }, (_, i) => `user-${i}`);

describe("eligibility", () => {
  test("draining, overloaded and URL-less bridges are excluded", () => {
    const all = [bridge("a", { draining: true }), bridge("b", { connections: 1000 }), bridge("c", { publicUrl: undefined }), bridge("d")];
    expect(eligible(all).map((b) => b.nodeId)).toEqual(["d"]);
    for (const s of ["round-robin", "random", "least-connections", "consistent-hash", "region"] as const) {
      for (let i = 0; i < 50; i++) expect(select(s, all, ctx({ counter: i, user: `u${i}` }))?.nodeId).toBe("d");
    }
  });
  test("nothing eligible → undefined", () => {
    expect(select("least-connections", [bridge("a", { draining: true })], ctx())).toBeUndefined();
    expect(select("consistent-hash", [], ctx({ user: "x" }))).toBeUndefined();
  });
});

describe("round-robin", () => {
  test("is exactly even", () => {
    const all = [bridge("c"), bridge("a"), bridge("b")];
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const id = select("round-robin", all, ctx({ counter: i }))!.nodeId;
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });
});

describe("random", () => {
  test("covers every bridge roughly evenly", () => {
    const all = [bridge("a"), bridge("b"), bridge("c")];
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) counts[select("random", all, ctx())!.nodeId]!++;
    for (const v of Object.values(counts)) expect(v).toBeGreaterThan(800);
  });
});

describe("least-connections", () => {
  test("picks the least loaded, ties broken deterministically", () => {
    const all = [bridge("a", { connections: 10 }), bridge("b", { connections: 3 }), bridge("c", { connections: 7 })];
    expect(select("least-connections", all, ctx())?.nodeId).toBe("b");
    expect(select("least-connections", [bridge("b"), bridge("a")], ctx())?.nodeId).toBe("a");
  });
  test("with the caller counting each pick, it fills bridges evenly", () => {
    const all = [bridge("a", { connections: 5 }), bridge("b"), bridge("c")];
    for (let i = 0; i < 310; i++) select("least-connections", all, ctx())!.connections++;
    expect(all.map((b) => b.connections)).toEqual([105, 105, 105]);
  });
});

describe("consistent-hash", () => {
  const three = [bridge("a"), bridge("b"), bridge("c")];
  test("is stable for the same bridge set (order-independent)", () => {
    for (const u of users.slice(0, 200)) {
      const x = select("consistent-hash", three, ctx({ user: u }))!.nodeId;
      const y = select("consistent-hash", [...three].reverse(), ctx({ user: u }))!.nodeId;
      expect(x).toBe(y);
    }
  });
  test("spreads users about evenly over 3 bridges", () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const u of users) counts[consistentHash(three, ctx({ user: u }))!.nodeId]!++;
    for (const v of Object.values(counts)) {
      expect(v).toBeGreaterThan(800);
      expect(v).toBeLessThan(1200);
    }
  });
  test("removing a bridge moves only its users (~1/n)", () => {
    const before = new Map(users.map((u) => [u, consistentHash(three, ctx({ user: u }))!.nodeId]));
    const two = three.filter((b) => b.nodeId !== "b");
    let moved = 0;
    for (const u of users) {
      const now = consistentHash(two, ctx({ user: u }))!.nodeId;
      if (now !== before.get(u)) {
        moved++;
        expect(before.get(u)).toBe("b");
      }
    }
    expect(moved / users.length).toBeGreaterThan(0.25);
    expect(moved / users.length).toBeLessThan(0.42);
  });
  test("adding a bridge moves ~1/(n+1) users, all to the new bridge", () => {
    const four = [...three, bridge("d")];
    let moved = 0;
    for (const u of users) {
      const a = consistentHash(three, ctx({ user: u }))!.nodeId;
      const b = consistentHash(four, ctx({ user: u }))!.nodeId;
      if (a !== b) {
        moved++;
        expect(b).toBe("d");
      }
    }
    expect(moved / users.length).toBeGreaterThan(0.18);
    expect(moved / users.length).toBeLessThan(0.32);
  });
});

describe("region", () => {
  const pref = parseRegionPreference("eu-west=eu-central,us-east; us-east=us-west");
  const all = [
    bridge("eu1", { region: "eu-west", connections: 5 }), bridge("eu2", { region: "eu-west", connections: 2 }),
    bridge("ce1", { region: "eu-central" }), bridge("us1", { region: "us-east" }), bridge("uw1", { region: "us-west", connections: 9 }),
  ];
  test("prefers the client's region (least loaded in it)", () => {
    expect(select("region", all, ctx({ region: "eu-west", preference: pref }))?.nodeId).toBe("eu2");
  });
  test("falls back along the preference list", () => {
    const noEuWest = all.map((b) => (b.region === "eu-west" ? { ...b, draining: true } : b));
    expect(select("region", noEuWest, ctx({ region: "eu-west", preference: pref }))?.nodeId).toBe("ce1");
    const onlyUs = all.filter((b) => b.region.startsWith("us"));
    expect(select("region", onlyUs, ctx({ region: "eu-west", preference: pref }))?.nodeId).toBe("us1");
    expect(select("region", all.filter((b) => b.nodeId !== "us1"), ctx({ region: "us-east", preference: pref }))?.nodeId).toBe("uw1");
  });
  test("unknown region or no region → any healthy bridge (least loaded)", () => {
    expect(select("region", all, ctx({ region: "ap-south", preference: pref }))?.nodeId).toBe("ce1");
    expect(select("region", all, ctx({ preference: pref }))?.nodeId).toBe("ce1");
  });
  test("bad preference spec throws", () => {
    expect(() => parseRegionPreference("eu-west")).toThrow();
    expect(parseRegionPreference("").size).toBe(0);
  });
});
