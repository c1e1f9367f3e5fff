/**
 * The messaging path end to end on real processes against real Cassandra: two registries, two
 * handlers, two bridges, clients built with the SDK on different bridges.
 */
import { describe, expect, test } from "bun:test";
import { signUserToken } from "../../src/auth/jwt.ts";
import { MagpieClient, MemoryCursorStore } from "../../src/client/index.ts";
import { directConvId } from "../../src/core/ids.ts";
import { rendezvous } from "../../src/core/hash.ts";
import type { Message } from "../../src/core/types.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { nodeIdOf, waitUntil, type RoleProc } from "../helpers/cluster.ts";
import { cassandraClusterSuite } from "../helpers/suite.ts";

const JWT = "dev-jwt-secret";
const suite = cassandraClusterSuite("magpie_it", { registries: 2, handlers: 2, bridges: 2 });
const clients = suite.clients;

/** A connected SDK client for `user` on `device`, pinned to a bridge by `prefer` when given. */
type TestClient = MagpieClient & { got: Message[]; unpin(): void };
async function client(user: string, device: string, opts: { bridge?: RoleProc; cursors?: MemoryCursorStore } = {}): Promise<TestClient> {
  const registries = suite.cluster.registryUrls;
  const pin = { bridge: opts.bridge };
  const fetchPinned = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const url = String(input);
    if (!pin.bridge || !url.includes("/v1/bridges/select")) return res;
    // Pin the client to one bridge so tests control placement (the registry still answers).
    const bridgeId = nodeIdOf(pin.bridge);
    return Response.json({ bridge: { nodeId: bridgeId, publicUrl: `ws://127.0.0.1:${pin.bridge.port}/ws`, region: "local", zone: "local-a" }, strategy: "round-robin" });
  };
  const c = new MagpieClient({
    registries, userId: user,
    token: () => signUserToken(JWT, user, device),
    fetch: fetchPinned as never,
    ackTimeoutMs: 2000,
    maxRetries: 20,
    rateLimit: false,
    cursorStore: opts.cursors,
  }) as TestClient;
  c.got = [];
  c.unpin = () => (pin.bridge = undefined);
  c.on("message", (m: Message) => c.got.push(m));
  clients.push(c);
  await c.connect();
  return c;
}

/** Resolves once `c` has received a message matching `pred` (already or later). */
async function seen(c: TestClient, pred: (m: Message) => boolean): Promise<Message> {
  await waitUntil(() => c.got.some(pred), 10_000, `a message for ${c.userId}`);
  return c.got.find(pred)!;
}

function seqsOf(msgs: Message[], conv: string): number[] {
  return msgs.filter((m) => m.convId === conv).map((m) => m.seq);
}
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);


describe("messaging path (real processes, real Cassandra)", () => {
  test("one-to-one: every device of both users gets the message; the sender's device gets the ack", async () => {
    const [b1, b2] = suite.cluster.bridges as [RoleProc, RoleProc];
    const alicePhone = await client("alice", "phone", { bridge: b1 });
    const aliceWeb = await client("alice", "web", { bridge: b2 });
    const bob = await client("bob", "laptop", { bridge: b2 });
    const conv = directConvId("alice", "bob");
    const ack = await alicePhone.send(conv, "你好，Bob — 消息的同步");
    expect(ack.seq).toBe(1);
    expect(ack.dup).toBe(false);
    const got = await seen(bob, (m) => m.convId === conv && m.seq === 1);
    expect(got.body).toBe("你好，Bob — 消息的同步");
    expect(got.senderId).toBe("alice");
    await seen(aliceWeb, (m) => m.convId === conv && m.seq === 1);
  });

  test("group: every device of every member on both bridges receives each message once, in order", async () => {
    const [b1, b2] = suite.cluster.bridges as [RoleProc, RoleProc];
    const owner = await client("gowner", "d1", { bridge: b1 });
    const m1 = await client("gm1", "d1", { bridge: b1 });
    const m2a = await client("gm2", "d1", { bridge: b2 });
    const m2b = await client("gm2", "d2", { bridge: b1 });
    const conversation = await owner.createGroup("team", ["gm1", "gm2"]);
    for (let i = 0; i < 10; i++) await owner.send(conversation.id, `hello ${i}`);
    for (const c of [m1, m2a, m2b, owner]) {
      await waitUntil(() => seqsOf(c.got, conversation.id).length >= (c === owner ? 0 : 10), 10_000, "group delivery");
    }
    for (const c of [m1, m2a, m2b]) expect(seqsOf(c.got, conversation.id)).toEqual(range(10));
  });

  test("offline, then reconnect: everything missed arrives exactly once, in order", async () => {
    const sender = await client("osend", "d1");
    const conv = directConvId("osend", "orecv");
    const cursors = new MemoryCursorStore();
    const first = await client("orecv", "d1", { cursors });
    await sender.send(conv, "before");
    await seen(first, (m) => m.convId === conv && m.seq === 1);
    await first.close();
    for (let i = 0; i < 25; i++) await sender.send(conv, `missed ${i}`);
    // The same device comes back with its stored cursor: it gets exactly 2..26, nothing twice.
    const again = await client("orecv", "d1", { cursors });
    await waitUntil(() => seqsOf(again.got, conv).length >= 25, 10_000, "catch-up");
    await new Promise((r) => setTimeout(r, 300));
    expect(seqsOf(again.got, conv)).toEqual(range(25, 2));
    expect(again.got.find((m) => m.seq === 2)?.body).toBe("missed 0");
    // A brand-new device of the same user roams the full history.
    const fresh = await client("orecv", "tablet");
    await waitUntil(() => seqsOf(fresh.got, conv).length >= 26, 10_000, "new device sync");
    expect(seqsOf(fresh.got, conv)).toEqual(range(26));
  });

  test("a retried send (same client message id) is stored once", async () => {
    const a = await client("rsend", "d1");
    const conv = directConvId("rsend", "rpeer");
    const first = await a.send(conv, "once", { clientMsgId: "retry-1" });
    const second = await a.send(conv, "once again", { clientMsgId: "retry-1" });
    expect(second.seq).toBe(first.seq);
    expect(second.dup).toBe(true);
    const page = await a.history(conv, { limit: 50 });
    expect(page.messages.filter((m) => m.clientMsgId === "retry-1")).toHaveLength(1);
  });

  test("direct routing: no push reaches a bridge the recipients are not on", async () => {
    const [b1, b2] = suite.cluster.bridges as [RoleProc, RoleProc];
    const pushFrames = async (b: RoleProc) => {
      const text = await (await fetch(`${b.url}/metrics`)).text();
      return Number(/^magpie_bridge_push_frames_total (\d+)/m.exec(text)?.[1] ?? NaN);
    };
    const a = await client("route-a", "d1", { bridge: b1 });
    const b = await client("route-b", "d1", { bridge: b1 });
    const conv = directConvId("route-a", "route-b");
    const before = [await pushFrames(b1), await pushFrames(b2)];
    for (let i = 0; i < 20; i++) await a.send(conv, `r${i}`);
    await waitUntil(() => seqsOf(b.got, conv).length >= 20, 10_000, "delivery on b1");
    const after = [await pushFrames(b1), await pushFrames(b2)];
    expect(after[0]! - before[0]!).toBeGreaterThanOrEqual(20);
    expect(after[1]! - before[1]!).toBe(0);
  });

  test("concurrent senders on different bridges while the receiver reconnects repeatedly: exactly once, in order", async () => {
    const [b1, b2] = suite.cluster.bridges as [RoleProc, RoleProc];
    const conversation = await (await client("cowner", "d1", { bridge: b1 })).createGroup("race", ["cs1", "cs2", "crecv"]);
    const s1 = await client("cs1", "d1", { bridge: b1 });
    const s2 = await client("cs2", "d1", { bridge: b2 });
    const recv = await client("crecv", "d1", { bridge: b1 });
    const N = 60;
    const sending = Promise.all([s1, s2].map(async (s, k) => {
      for (let i = 0; i < N; i++) await s.send(conversation.id, `s${k}-${i}`);
    }));
    // Force reconnects by killing the receiver's socket from the bridge side: close & reopen.
    let flips = 0;
    const flipping = (async () => {
      while (flips < 5) {
        await new Promise((r) => setTimeout(r, 150));
        (recv as unknown as { conn?: { close(c: number, r: string): void } }).conn?.close(4999, "test flip");
        flips++;
      }
    })();
    await Promise.all([sending, flipping]);
    await waitUntil(() => seqsOf(recv.got, conversation.id).length >= 2 * N, 20_000, "receiver catch-up");
    expect(seqsOf(recv.got, conversation.id)).toEqual(range(2 * N));
    // Each sender's own order is preserved inside the conversation order.
    for (const k of [0, 1]) {
      const mine = recv.got.filter((m) => m.convId === conversation.id && m.body.startsWith(`s${k}-`)).map((m) => Number(m.body.split("-")[1]));
      expect(mine).toEqual(range(N, 0));
    }
  });
});

describe("faults", () => {
  test("a killed bridge's clients come back through the registry on the other bridge and miss nothing", async () => {
    const extra = await suite.cluster.add("bridge");
    await waitUntil(() => suite.cluster.handlers.every((h) => extra.logs.some((l) => l.includes('"linked to handler"') && l.includes(nodeIdOf(h)))), 10_000, "new bridge linked");
    const survivor = suite.cluster.bridges[0]!;
    const victim = await client("kvictim", "d1", { bridge: extra });
    // After the kill, selection must lead elsewhere: unpin by letting the registry choose.
    victim.unpin();
    const sender = await client("ksender", "d1", { bridge: survivor });
    const conv = directConvId("kvictim", "ksender");
    await sender.send(conv, "m1");
    await seen(victim, (m) => m.convId === conv && m.seq === 1);
    await extra.stop("SIGKILL");
    for (let i = 2; i <= 20; i++) await sender.send(conv, `m${i}`);
    await waitUntil(() => seqsOf(victim.got, conv).length >= 20, 30_000, "victim recovered");
    expect(seqsOf(victim.got, conv)).toEqual(range(20));
    expect(victim.bridge?.nodeId).not.toBe(nodeIdOf(extra));
  }, 60_000);

  test("draining a bridge (admin REST on the registries): its clients move to another bridge and miss nothing", async () => {
    const drainee = await suite.cluster.add("bridge");
    await waitUntil(() => suite.cluster.handlers.filter((h) => h.proc.signalCode === null).every((h) => drainee.logs.some((l) => l.includes('"linked to handler"') && l.includes(nodeIdOf(h)))), 10_000, "drainee linked");
    const mover = await client("dmover", "d1", { bridge: drainee });
    mover.unpin();
    const sender = await client("dsender", "d1", { bridge: suite.cluster.bridges[0]! });
    const conv = directConvId("dmover", "dsender");
    const sending = (async () => {
      for (let i = 1; i <= 30; i++) {
        await sender.send(conv, `d${i}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const admin = new RegistryClient({ registries: suite.cluster.registryUrls, token: "dev-admin-token" });
    expect(await admin.drainEverywhere(nodeIdOf(drainee))).toBe(suite.cluster.registryUrls.length);
    await sending;
    await waitUntil(() => seqsOf(mover.got, conv).length >= 30, 20_000, "mover caught up");
    expect(seqsOf(mover.got, conv)).toEqual(range(30));
    expect(mover.bridge?.nodeId).not.toBe(nodeIdOf(drainee));
    // The drained bridge is empty, refuses readiness and is never selected again.
    const ready = await fetch(`${drainee.url}/readyz`);
    expect(ready.status).toBe(503);
    for (let i = 0; i < 20; i++) {
      const sel = await new RegistryClient({ registries: suite.cluster.registryUrls }).selectBridge({ user: `probe${i}`, strategy: "random" });
      expect(sel.bridge.nodeId).not.toBe(nodeIdOf(drainee));
    }
  }, 60_000);

  test("a killed handler loses no acked message", async () => {
    const extra = await suite.cluster.add("handler");
    await waitUntil(() => suite.cluster.bridges.filter((b) => b.proc.exitCode === null && b.proc.signalCode === null).every((b) => b.logs.some((l) => l.includes('"linked to handler"') && l.includes(nodeIdOf(extra)))), 10_000, "bridges linked to new handler");
    // Pick a conversation that the victim handler owns (rendezvous over the live handlers).
    const live = suite.cluster.handlers.filter((h) => h.proc.signalCode === null && h.proc.exitCode === null).map(nodeIdOf);
    let k = 0;
    while (rendezvous(directConvId(`hsender${k}`, "hrecv"), live) !== nodeIdOf(extra)) k++;
    const sender = await client(`hsender${k}`, "d1");
    const recv = await client("hrecv", "d1");
    const conv = directConvId(`hsender${k}`, "hrecv");
    const acked: number[] = [];
    const sending = (async () => {
      for (let i = 0; i < 40; i++) acked.push((await sender.send(conv, `h${i}`)).seq);
    })();
    await new Promise((r) => setTimeout(r, 200));
    await extra.stop("SIGKILL");
    await sending;
    expect(new Set(acked).size).toBe(40);
    await waitUntil(() => seqsOf(recv.got, conv).length >= 40, 20_000, "all acked messages delivered");
    const stored = (await recv.history(conv, { after: 0, limit: 200 })).messages.map((m) => m.body);
    for (let i = 0; i < 40; i++) expect(stored).toContain(`h${i}`);
    expect(seqsOf(recv.got, conv)).toEqual(range(40));
  }, 60_000);
});

describe("bad input over the wire", () => {
  async function raw(user: string, device = "raw"): Promise<{ ws: WebSocket; frames: Record<string, unknown>[] }> {
    const token = await signUserToken(JWT, user, device);
    const ws = new WebSocket(`ws://127.0.0.1:${suite.cluster.bridges[0]!.port}/ws?token=${token}`);
    const frames: Record<string, unknown>[] = [];
    ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
    await waitUntil(() => frames.some((f) => f.t === "welcome"), 5000, "welcome");
    return { ws, frames };
  }
  const errorsOf = (frames: Record<string, unknown>[]) => frames.filter((f) => f.t === "error").map((f) => f.code);

  test("malformed JSON, unknown type, wrong fields, oversized, non-member: error frames; the connection and its neighbour live on; nothing stored", async () => {
    const { ws, frames } = await raw("badguy");
    const neighbour = await raw("neighbour");
    ws.send("{not json");
    ws.send(JSON.stringify({ t: "explode" }));
    ws.send(JSON.stringify({ t: "send", id: 5, conv: "d:badguy:x", body: "x" }));
    ws.send(JSON.stringify({ t: "send", id: "e1", conv: "d:badguy:x", body: "" }));
    ws.send(JSON.stringify({ t: "send", id: "e2", conv: "d:badguy:x", body: "字".repeat(6000) }));
    ws.send(JSON.stringify({ t: "send", id: "e3", conv: "d:alice:bob", body: "let me in" }));
    ws.send(JSON.stringify({ t: "send", id: "e4", conv: "g:doesnotexist", body: "hello" }));
    ws.send(JSON.stringify({ t: "ping", ref: "p1" }));
    await waitUntil(() => frames.some((f) => f.t === "pong") && errorsOf(frames).length >= 7, 5000, "answers");
    expect(errorsOf(frames)).toEqual(expect.arrayContaining(["malformed_frame", "unknown_frame", "body_empty", "body_too_large", "not_member", "conversation_not_found"]));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    neighbour.ws.send(JSON.stringify({ t: "ping", ref: "n1" }));
    await waitUntil(() => neighbour.frames.some((f) => f.t === "pong"), 5000, "neighbour pong");
    // Nothing was stored in alice/bob's conversation by the intruder.
    const alice = await client("alice", "audit");
    const page = await alice.history(directConvId("alice", "bob"), { after: 0, limit: 100 });
    expect(page.messages.some((m) => m.senderId === "badguy")).toBe(false);
    ws.close();
    neighbour.ws.close();
  });

  test("forged and expired tokens: error frame then close 4001", async () => {
    for (const token of [await signUserToken("wrong-secret", "mallory", "d"), await signUserToken(JWT, "mallory", "d", -10), "garbage"]) {
      const ws = new WebSocket(`ws://127.0.0.1:${suite.cluster.bridges[0]!.port}/ws?token=${token}`);
      const frames: Record<string, unknown>[] = [];
      ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
      const code = await new Promise<number>((r) => (ws.onclose = (e) => r(e.code)));
      expect(code).toBe(4001);
      expect(frames[0]).toMatchObject({ t: "error", code: "unauthenticated" });
    }
  });

  test("rate limit: a burst beyond the bucket gets rate_limited error frames, the connection stays", async () => {
    const { ws, frames } = await raw("flooder");
    for (let i = 0; i < 300; i++) ws.send(JSON.stringify({ t: "ping", ref: `f${i}` }));
    await waitUntil(() => errorsOf(frames).includes("rate_limited"), 5000, "rate limit");
    await new Promise((r) => setTimeout(r, 1200));
    ws.send(JSON.stringify({ t: "ping", ref: "after" }));
    await waitUntil(() => frames.some((f) => f.t === "pong" && f.ref === "after"), 5000, "pong after refill");
    ws.close();
  });
});
